/*
 * mock-kafka: librdkafka's mock Kafka cluster as a standalone process for tests.
 *
 *   mock-kafka [--brokers N] [--topic name:partitions]...
 *
 * Prints exactly one line "BOOTSTRAP host:port[,host:port...]" on stdout, then reads
 * one command per line on stdin and answers exactly one line, "OK" or "ERR <message>":
 *
 *   create <topic> <partitions> [replication]   create a topic (no CreateTopics API)
 *   down <brokerId> | up <brokerId>              take a broker down / bring it back
 *   rtt <brokerId> <ms>                          add round-trip latency to a broker
 *   push_errors <api> <count> <err>...           next <count> requests of <api> fail;
 *                                                one <err> is repeated <count> times,
 *                                                otherwise give exactly <count> errors
 *   clear_errors <api>                           drop queued errors for <api>
 *   topic_error <topic> <err>                    error returned in Metadata for topic
 *   leader <topic> <partition> <brokerId>        move a partition's leader
 *   coordinator <group|transaction> <key> <brokerId>
 *   ping | quit
 *
 * <api> is a name (Produce, Fetch, OffsetCommit, JoinGroup, ...) or a number; <err> is
 * a librdkafka error name with or without the RD_KAFKA_RESP_ERR_ prefix
 * (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, _TRANSPORT, ...) or a number.
 * Exits cleanly on stdin EOF, "quit", SIGTERM or SIGINT. Broker ids are 1..N.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_ERRS 256
#define MAX_TOKENS (MAX_ERRS + 8)

static volatile sig_atomic_t stop_requested = 0;
static rd_kafka_mock_cluster_t *mcluster;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static const struct {
        const char *name;
        int key;
} api_keys[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"DescribeGroups", 15},
    {"ListGroups", 16},      {"SaslHandshake", 17},
    {"ApiVersions", 18},     {"CreateTopics", 19},
    {"DeleteTopics", 20},    {"DeleteRecords", 21},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
    {"TxnOffsetCommit", 28}, {"DescribeConfigs", 32},
    {"AlterConfigs", 33},    {"SaslAuthenticate", 36},
    {"CreatePartitions", 37},
};

/* Parses a whole decimal integer; returns 0 on success. */
static int parse_int(const char *s, long *out) {
        char *end;
        if (!s || !*s)
                return -1;
        errno = 0;
        *out  = strtol(s, &end, 10);
        return (errno || *end) ? -1 : 0;
}

static int parse_api(const char *s, int16_t *out) {
        long n;
        size_t i;
        if (parse_int(s, &n) == 0) {
                if (n < 0 || n > 32767)
                        return -1;
                *out = (int16_t)n;
                return 0;
        }
        for (i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++) {
                if (!strcasecmp(s, api_keys[i].name) ||
                    (!strncasecmp(s, api_keys[i].name, strlen(api_keys[i].name)) &&
                     !strcasecmp(s + strlen(api_keys[i].name), "Request"))) {
                        *out = (int16_t)api_keys[i].key;
                        return 0;
                }
        }
        return -1;
}

static int parse_err(const char *s, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long n;
        static const char prefix[] = "RD_KAFKA_RESP_ERR_";
        if (parse_int(s, &n) == 0) {
                *out = (rd_kafka_resp_err_t)n;
                return 0;
        }
        if (!strncasecmp(s, prefix, sizeof(prefix) - 1))
                s += sizeof(prefix) - 1;
        if (!strcasecmp(s, "NOT_LEADER_OR_FOLLOWER")) /* newer name, same code */
                s = "NOT_LEADER_FOR_PARTITION";
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                if (descs[i].name && !strcasecmp(s, descs[i].name)) {
                        *out = descs[i].code;
                        return 0;
                }
        }
        return -1;
}

static void reply_err(rd_kafka_resp_err_t err) {
        if (err)
                printf("ERR %s: %s\n", rd_kafka_err2name(err), rd_kafka_err2str(err));
        else
                printf("OK\n");
}

static int parse_broker(const char *s, int32_t *out) {
        long n;
        if (parse_int(s, &n) || n < 0)
                return -1;
        *out = (int32_t)n;
        return 0;
}

/* Runs one command line (already split into tokens); writes one reply line. */
static int run_command(int argc, char **argv) {
        const char *cmd = argv[0];
        int32_t broker;
        long n;

        if (!strcmp(cmd, "ping")) {
                printf("OK\n");
        } else if (!strcmp(cmd, "quit")) {
                printf("OK\n");
                return 1;
        } else if (!strcmp(cmd, "create")) {
                long repl = 1;
                if (argc < 3 || argc > 4 || parse_int(argv[2], &n) || n < 1 ||
                    (argc == 4 && (parse_int(argv[3], &repl) || repl < 1))) {
                        printf("ERR usage: create <topic> <partitions> [replication]\n");
                        return 0;
                }
                reply_err(rd_kafka_mock_topic_create(mcluster, argv[1], (int)n, (int)repl));
        } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
                if (argc != 2 || parse_broker(argv[1], &broker)) {
                        printf("ERR usage: %s <brokerId>\n", cmd);
                        return 0;
                }
                reply_err(!strcmp(cmd, "down") ? rd_kafka_mock_broker_set_down(mcluster, broker)
                                               : rd_kafka_mock_broker_set_up(mcluster, broker));
        } else if (!strcmp(cmd, "rtt")) {
                if (argc != 3 || parse_broker(argv[1], &broker) || parse_int(argv[2], &n) || n < 0) {
                        printf("ERR usage: rtt <brokerId> <ms>\n");
                        return 0;
                }
                reply_err(rd_kafka_mock_broker_set_rtt(mcluster, broker, (int)n));
        } else if (!strcmp(cmd, "push_errors")) {
                rd_kafka_resp_err_t errs[MAX_ERRS];
                int16_t api;
                int i, given = argc - 3;
                if (argc < 4 || parse_api(argv[1], &api) || parse_int(argv[2], &n) || n < 1 ||
                    n > MAX_ERRS || (given != 1 && given != n)) {
                        printf("ERR usage: push_errors <api> <count> <err> (repeated) "
                               "or <count> errors (count <= %d)\n", MAX_ERRS);
                        return 0;
                }
                for (i = 0; i < given; i++) {
                        if (parse_err(argv[3 + i], &errs[i])) {
                                printf("ERR unknown error name: %s\n", argv[3 + i]);
                                return 0;
                        }
                }
                for (i = given; i < n; i++)
                        errs[i] = errs[0];
                rd_kafka_mock_push_request_errors_array(mcluster, api, (size_t)n, errs);
                printf("OK\n");
        } else if (!strcmp(cmd, "clear_errors")) {
                int16_t api;
                if (argc != 2 || parse_api(argv[1], &api)) {
                        printf("ERR usage: clear_errors <api>\n");
                        return 0;
                }
                rd_kafka_mock_clear_request_errors(mcluster, api);
                printf("OK\n");
        } else if (!strcmp(cmd, "topic_error")) {
                rd_kafka_resp_err_t err;
                if (argc != 3) {
                        printf("ERR usage: topic_error <topic> <err>\n");
                        return 0;
                }
                if (parse_err(argv[2], &err)) {
                        printf("ERR unknown error name: %s\n", argv[2]);
                        return 0;
                }
                rd_kafka_mock_topic_set_error(mcluster, argv[1], err);
                printf("OK\n");
        } else if (!strcmp(cmd, "leader")) {
                long part;
                if (argc != 4 || parse_int(argv[2], &part) || part < 0 || parse_broker(argv[3], &broker)) {
                        printf("ERR usage: leader <topic> <partition> <brokerId>\n");
                        return 0;
                }
                reply_err(rd_kafka_mock_partition_set_leader(mcluster, argv[1], (int32_t)part, broker));
        } else if (!strcmp(cmd, "coordinator")) {
                if (argc != 4 || parse_broker(argv[3], &broker)) {
                        printf("ERR usage: coordinator <group|transaction> <key> <brokerId>\n");
                        return 0;
                }
                reply_err(rd_kafka_mock_coordinator_set(mcluster, argv[1], argv[2], broker));
        } else {
                printf("ERR unknown command: %s\n", cmd);
        }
        return 0;
}

static int create_topic_arg(const char *arg) {
        char name[512];
        const char *colon = strrchr(arg, ':');
        long parts = 1;
        rd_kafka_resp_err_t err;
        size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
        if (len == 0 || len >= sizeof(name) || (colon && (parse_int(colon + 1, &parts) || parts < 1))) {
                fprintf(stderr, "mock-kafka: bad --topic %s (want name:partitions)\n", arg);
                return -1;
        }
        memcpy(name, arg, len);
        name[len] = '\0';
        err = rd_kafka_mock_topic_create(mcluster, name, (int)parts, 1);
        if (err) {
                fprintf(stderr, "mock-kafka: create topic %s: %s\n", name, rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

int main(int argc, char **argv) {
        char errstr[512];
        char line[8192];
        char *tokens[MAX_TOKENS];
        long brokers = 1;
        int i, rc = 0;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        struct sigaction sa;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
                        if (parse_int(argv[++i], &brokers) || brokers < 1 || brokers > 64) {
                                fprintf(stderr, "mock-kafka: --brokers wants 1..64\n");
                                return 2;
                        }
                } else if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
                        i++; /* created once the cluster exists */
                } else {
                        fprintf(stderr, "usage: %s [--brokers N] [--topic name:partitions]...\n", argv[0]);
                        return 2;
                }
        }

        /* No SA_RESTART: a signal interrupts the blocking read on stdin. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The mock needs an rd_kafka_t for book-keeping; this producer never connects. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "mock-kafka: %s\n", errstr);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-kafka: rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mcluster = rd_kafka_mock_cluster_new(rk, (int)brokers);
        if (!mcluster) {
                fprintf(stderr, "mock-kafka: rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers")) {
                        i++;
                } else if (!strcmp(argv[i], "--topic")) {
                        if (create_topic_arg(argv[++i])) {
                                rc = 1;
                                goto out;
                        }
                }
        }

        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
        fflush(stdout);

        while (!stop_requested) {
                int ntok = 0;
                char *save = NULL, *tok;
                size_t len;
                if (!fgets(line, sizeof(line), stdin)) {
                        if (ferror(stdin) && errno == EINTR && !stop_requested) {
                                clearerr(stdin);
                                continue;
                        }
                        break; /* EOF, or interrupted by SIGTERM/SIGINT */
                }
                len = strlen(line);
                if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
                        int c;
                        while ((c = getchar()) != EOF && c != '\n')
                                ;
                        printf("ERR line too long\n");
                        fflush(stdout);
                        continue;
                }
                for (tok = strtok_r(line, " \t\r\n", &save); tok && ntok < MAX_TOKENS;
                     tok = strtok_r(NULL, " \t\r\n", &save))
                        tokens[ntok++] = tok;
                if (ntok == 0) {
                        printf("ERR empty command\n");
                } else if (ntok == MAX_TOKENS) {
                        printf("ERR too many arguments\n");
                } else if (run_command(ntok, tokens)) {
                        fflush(stdout);
                        break;
                }
                fflush(stdout);
        }

out:
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return rc;
}
