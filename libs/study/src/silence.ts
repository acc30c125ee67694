/**
 * How long the study has heard nothing from its services. A wait fails after this long a silence,
 * not after this long in all: steps queue behind one another in a busy service (one trainer trains
 * the GANs in turn, on a busy machine for longer), and a queued step is not a stuck one. While any
 * service reports (progress, checkpoints, replies, federation rounds), every wait goes on.
 */
export class Silence {
  private last: number;

  constructor(private readonly now: () => number = Date.now) {
    this.last = now();
  }

  /** Something came from a service. */
  heard(): void {
    this.last = this.now();
  }

  /** Call `fail` once nothing has been heard for `ms`; the returned function stops watching. */
  watch(ms: number, fail: () => void): () => void {
    let timer: NodeJS.Timeout;
    const check = () => {
      const quiet = this.now() - this.last;
      if (quiet >= ms) fail();
      else timer = setTimeout(check, ms - quiet);
    };
    timer = setTimeout(check, ms);
    return () => clearTimeout(timer);
  }
}
