/**
 * The tenant's side of secure aggregation: mask this round's update so the aggregator can only
 * learn the sum over all participants. The tenant's X25519 key derives from its signing key and
 * each peer's from the peer's Ed25519 public key (@dermagan/federation secagg-keys.ts); a peer's
 * key relayed by the aggregator must equal the one the federation request registered, so an
 * aggregator cannot slip in its own key and unmask one tenant. (A tenant that joined mid-run is
 * known only through the aggregator's relay — list every tenant in the request to avoid that.)
 */
import {
  maskUpdateFile, memorySink, memorySource, pairwiseSeed, secaggPrivateKey, secaggPublicKey, UpdateMasker,
  type WeightSet,
} from '@dermagan/federation';
import type { FederationRequestedData, RoundStartedData } from './tenant.ts';
import { TenantError } from './tenant-error.ts';

export interface MaskArgs {
  tenant: string;
  federation: string;
  /** The tenant's Ed25519 private key (PKCS#8 PEM). */
  signingKey: string;
  request: FederationRequestedData;
  round: RoundStartedData;
  /** The round's global model and the tenant's trained update (same tensors). */
  global: WeightSet;
  update: WeightSet;
}

/**
 * The masked, weighted delta p_i·(update − global) of this tenant, with its scalars in the clear,
 * and ‖update − global‖, which the tenant reports (and signs) with it: the aggregator refuses a
 * round whose unmasked mean is longer than its participants' reports allow.
 */
export async function maskUpdate(args: MaskArgs): Promise<{ masked: WeightSet; deltaNorm: number }> {
  const { tenant, federation, round, request } = args;
  const secagg = round.secagg;
  if (!secagg) throw new TenantError(`tenant ${tenant}: round ${round.round} announces no secure-aggregation parameters`, false);
  const weight = secagg.weights[tenant];
  if (weight === undefined) throw new TenantError(`tenant ${tenant}: round ${round.round} announces no FedAvg weight for this tenant`, false);
  const own = secaggPrivateKey(args.signingKey);
  const seeds = new Map<string, Buffer>();
  for (const peer of round.participants) {
    if (peer === tenant) continue;
    const relayed = secagg.publicKeys[peer];
    const registered = request.tenants.find((t) => t.tenant === peer)?.publicKey;
    if (!relayed) throw new TenantError(`tenant ${tenant}: round ${round.round} relays no public key for peer ${peer}`, false);
    if (registered !== undefined && registered.trim() !== relayed.trim()) {
      throw new TenantError(`tenant ${tenant}: the aggregator relays a key for ${peer} that differs from the one the federation request registered; refusing to mask with it`, false);
    }
    seeds.set(peer, pairwiseSeed(own, secaggPublicKey(relayed), tenant, peer, { federation, round: round.round, attempt: round.attempt }));
  }
  const masker = new UpdateMasker({ self: tenant, participants: round.participants, seeds, scale: secagg.scale });
  let sink: ReturnType<typeof memorySink> | null = null;
  const { deltaNorm } = await maskUpdateFile({
    masker,
    weight,
    global: memorySource(args.global, `global ${round.global.key}`),
    update: memorySource(args.update, `update of ${tenant}`),
    scalars: args.update.scalars,
    createOutput: (header) => (sink = memorySink(header)),
  });
  return { masked: (sink as unknown as ReturnType<typeof memorySink>).result(), deltaNorm };
}
