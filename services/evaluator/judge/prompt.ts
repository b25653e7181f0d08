import type { EvalInput } from '../types.ts';

/** The judge's chat messages: a fixed instruction asking for JSON, then the rubric and the material. */
export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export const JUDGE_SYSTEM_PROMPT =
  'You are a strict, impartial evaluator of AI assistant responses. Grade the response with the rubric. ' +
  'Answer with only a JSON object, no prose around it: {"score": <a number from 0 to 1, higher is better>, "reason": "<one short sentence>"}.';

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters truncated]`;
}

export function buildJudgeMessages(rubric: string, input: EvalInput, maxFieldChars: number): ChatMessage[] {
  const parts = [`## Rubric\n${rubric}`];
  if (input.input !== null) parts.push(`## User input\n${truncate(input.input, maxFieldChars)}`);
  parts.push(`## Response to evaluate\n${truncate(input.output ?? '', maxFieldChars)}`);
  if (input.context !== null) parts.push(`## Reference context\n${truncate(input.context, maxFieldChars)}`);
  if (input.expected !== null) parts.push(`## Expected answer\n${truncate(input.expected, maxFieldChars)}`);
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: parts.join('\n\n') },
  ];
}
