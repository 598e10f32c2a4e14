/** The sandbox process ended; carries the reason a run reports as `crashed`. */
export class SessionEnded extends Error {}
