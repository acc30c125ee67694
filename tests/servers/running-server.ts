/** A real server a test run started: how to reach it, and how to stop it. */
export interface RunningServer {
  /** Short name for logs, e.g. `kafka`. */
  name: string;
  /** Environment variables that point clients at it (e.g. DERMAGAN_KAFKA_BROKERS). */
  env: Record<string, string>;
  stop(): Promise<void>;
}
