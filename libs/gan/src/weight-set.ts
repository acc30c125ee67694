/**
 * The glue between the engine's trainer (named tf.Variables in ParamSets, Adam moments in maps)
 * and a federation WeightSet (named float32 tensors under `G/`, `D/`, `G_ema/`, `G_opt/`, `D_opt/`).
 * Names are the engine's own ParamSet names behind the group prefix, so a weight file and a
 * checkpoint name the same tensor the same way (`G/mapping/fc0/weight`).
 */
import type { Trainer } from './training-loop.ts';
import { WeightsError, type GanScalars, type NamedTensor, type WeightSet } from '@dermagan/federation';

type Var = Trainer['G']['ps'] extends { entries(): Array<[string, infer V]> } ? V : never;

/** Every tensor of the trainer under its federation name, in a fixed order. */
function namedVariables(trainer: Trainer): Array<[string, Var]> {
  const out: Array<[string, Var]> = [];
  for (const [prefix, ps] of [['G', trainer.G.ps], ['D', trainer.D.ps], ['G_ema', trainer.Gema.ps]] as const) {
    for (const [name, v] of ps.entries()) out.push([`${prefix}/${name}`, v]);
  }
  for (const [prefix, opt] of [['G_opt', trainer.optG], ['D_opt', trainer.optD]] as const) {
    for (const [name, v] of opt.m) out.push([`${prefix}/m/${name}`, v]);
    for (const [name, v] of opt.v) out.push([`${prefix}/v/${name}`, v]);
  }
  return out;
}

/** The trainer's weights (and moments) as a WeightSet with the given scalars; the data are copies. */
export function trainerToWeightSet(trainer: Trainer, scalars: GanScalars): WeightSet {
  const tensors: NamedTensor[] = namedVariables(trainer).map(([name, v]) => ({
    name,
    shape: [...v.shape],
    data: Float32Array.from(v.dataSync() as Float32Array),
  }));
  return { tensors, scalars: { ...scalars } };
}

/**
 * Assign every tensor of `set` to the trainer's variable of the same name. Tensors the set lacks
 * are left alone (e.g. moments under a 'keep-local' policy); a name the trainer does not have or a
 * shape that differs throws WeightsError (the global model was made for another architecture).
 */
export function loadWeightSet(trainer: Trainer, set: WeightSet): void {
  const vars = new Map(namedVariables(trainer));
  const tf = trainer.tf;
  for (const t of set.tensors) {
    const v = vars.get(t.name);
    if (!v) throw new WeightsError(`loadWeightSet: the trainer has no tensor "${t.name}"; the global model was made with other network options`);
    if (v.shape.join(',') !== t.shape.join(',')) {
      throw new WeightsError(`loadWeightSet: "${t.name}" is [${t.shape}] in the global model but [${v.shape}] in the trainer`);
    }
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
}

/** Zero the optimisers' moments (GAN-state policy moments 'reset'); the step counters stay. */
export function resetMoments(trainer: Trainer): void {
  const tf = trainer.tf;
  for (const opt of [trainer.optG, trainer.optD]) {
    for (const map of [opt.m, opt.v]) for (const v of map.values()) tf.tidy(() => v.assign(tf.zerosLike(v)));
  }
}

/**
 * FedProx on the tenant, as a decoupled proximal step after each optimiser step:
 * w ← w − lr·μ·(w − w_global) for every trainable parameter of G and D (the gradient of
 * μ/2·‖w − w_global‖², applied like decoupled weight decay towards the global model).
 */
export function proximalStep(trainer: Trainer, global: ReadonlyMap<string, Var>, lr: number, mu: number): void {
  if (mu <= 0) return;
  const tf = trainer.tf;
  for (const [prefix, ps] of [['G', trainer.G.ps], ['D', trainer.D.ps]] as const) {
    for (const [name, v] of ps.params) {
      const g = global.get(`${prefix}/${name}`);
      if (!g) continue;
      tf.tidy(() => v.assign(tf.sub(v, tf.mul(tf.sub(v, g), lr * mu))));
    }
  }
}

/** Frozen copies of the trainer's G and D parameters (the round's global weights, for FedProx). */
export function snapshotParams(trainer: Trainer): Map<string, Var> {
  const tf = trainer.tf;
  const out = new Map<string, Var>();
  for (const [prefix, ps] of [['G', trainer.G.ps], ['D', trainer.D.ps]] as const) {
    for (const [name, v] of ps.params) out.set(`${prefix}/${name}`, tf.variable(v.clone(), false) as Var);
  }
  return out;
}
