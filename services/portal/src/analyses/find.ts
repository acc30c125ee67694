/**
 * The other services' results the portal shows, found in the store by the key layout: the
 * explainer's latent directions (`explanations/…/directions.json`, contracts latent-directions.ts),
 * privacy audits (`projections/…/privacy-audit.json`, contracts analysis-artifacts.ts), study
 * reports (`reports/<study>/report.html`). Listings are cached for a short while; every artifact
 * is validated against its schema before it is shown.
 */
import { ArtifactPrefix, LatentDirections, PRIVACY_AUDIT_FILE, PrivacyAudit, type FolderRef } from '@dermagan/contracts';

/** The explainer's file name for the directions inside an explanation folder. */
export const DIRECTIONS_FILE = 'directions.json';
import type { ObjectStore } from '@dermagan/store';
import type { z } from 'zod';

const LIST_TTL_MS = 30_000;

export interface Found<T> {
  key: string;
  value: T;
}

export class AnalysisFinder {
  private readonly listings = new Map<string, { at: number; keys: Promise<string[]> }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
  ) {}

  /** Forget the listings (an explanation or an audit was just announced). */
  invalidate(): void {
    this.listings.clear();
  }

  private keys(prefix: string, file: string): Promise<string[]> {
    const cached = this.listings.get(prefix);
    if (cached && Date.now() - cached.at < LIST_TTL_MS) return cached.keys;
    const keys = this.store.list(this.bucket, prefix).then(
      (all) => all.filter((k) => k.endsWith(`/${file}`)),
      () => [],
    );
    this.listings.set(prefix, { at: Date.now(), keys });
    return keys;
  }

  private async read<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | null> {
    try {
      const parsed = schema.safeParse(JSON.parse((await this.store.getBytes(this.bucket, key)).toString('utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Every valid privacy audit. */
  async audits(): Promise<Array<Found<PrivacyAudit>>> {
    const out: Array<Found<PrivacyAudit>> = [];
    for (const key of await this.keys(ArtifactPrefix.projections, PRIVACY_AUDIT_FILE)) {
      const value = await this.read(key, PrivacyAudit);
      if (value) out.push({ key, value });
    }
    return out;
  }

  async audit(key: string): Promise<PrivacyAudit | null> {
    if (!(await this.keys(ArtifactPrefix.projections, PRIVACY_AUDIT_FILE)).includes(key)) return null;
    return this.read(key, PrivacyAudit);
  }

  /** The latent directions the explainer made for this checkpoint (same manifest hash), the last key first. */
  async directionsFor(checkpoint: FolderRef): Promise<LatentDirections | null> {
    const keys = [...(await this.keys(ArtifactPrefix.explanations, DIRECTIONS_FILE))].reverse();
    for (const key of keys) {
      const value = await this.read(key, LatentDirections);
      if (value && 'manifest' in value.generator && value.generator.manifest.sha256 === checkpoint.manifest.sha256) return value;
    }
    return null;
  }

  /** A study's report, when the study left one in the store. */
  async report(study: string): Promise<Buffer | null> {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(study)) return null;
    const key = `${ArtifactPrefix.reports}${study}/report.html`;
    if (!(await this.store.stat(this.bucket, key).catch(() => null))) return null;
    return this.store.getBytes(this.bucket, key);
  }
}
