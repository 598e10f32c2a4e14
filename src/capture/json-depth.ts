/** A member of a JSON object's top level: its key (as JSON text) and where its value lies. */
export interface JsonMember {
  /** The key as written, quotes and escapes included. */
  keyJson: string;
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * How JSON text nests, scanned in one linear pass before anything parses it: `tooDeep` when
 * the text nests deeper than `maxDepth` outside any top-level member's value (the top level
 * counts as 1), and the top-level members whose values nest too deep. Deep nesting is what
 * makes JSON.parse slow (seconds at a million levels) and recursive walkers (JSON.stringify,
 * zod) overflow the stack. Malformed text is not judged here: JSON.parse refuses it after.
 */
export function scanJsonDepth(
  json: string,
  maxDepth: number,
): { tooDeep: boolean; deepMembers: JsonMember[] } {
  const deepMembers: JsonMember[] = [];
  let depth = 0;
  let tooDeep = false;
  let topLevelIsObject = false;
  let lastKey: [number, number] | undefined;
  let keyJson: string | undefined;
  let memberStart = -1;
  let memberDeep = false;
  for (let position = 0; position < json.length; position++) {
    const code = json.charCodeAt(position);
    if (code === QUOTE) {
      const start = position;
      for (position++; position < json.length; position++) {
        const inner = json.charCodeAt(position);
        if (inner === BACKSLASH) position++;
        else if (inner === QUOTE) break;
      }
      if (depth === 1) lastKey = [start, position + 1];
    } else if (code === 0x7b || code === 0x5b) {
      if (depth === 0) topLevelIsObject = code === 0x7b;
      else if (depth === 1 && topLevelIsObject) {
        memberStart = position;
        memberDeep = false;
      }
      depth++;
      if (depth > maxDepth) {
        if (memberStart === -1) tooDeep = true;
        else memberDeep = true;
      }
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
      if (depth === 1 && memberStart !== -1) {
        if (memberDeep && keyJson !== undefined) {
          deepMembers.push({ keyJson, start: memberStart, end: position + 1 });
        }
        memberStart = -1;
      }
    } else if (code === COLON && depth === 1 && lastKey !== undefined) {
      keyJson = json.slice(lastKey[0], lastKey[1]);
    }
    if (tooDeep) break;
  }
  // A member left open (malformed text) that went too deep still counts.
  if (memberStart !== -1 && memberDeep) tooDeep = true;
  return { tooDeep, deepMembers };
}
