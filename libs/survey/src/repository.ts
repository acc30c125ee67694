/**
 * The survey in the database: creation, one-time invitations, each expert's own order, answers,
 * and the answers joined with the truth once the survey is closed.
 *
 * Answers are never lost or double-counted: an answer is one row keyed by (expert, image), written
 * in the transaction that checks it, so a double submit, a second tab or a replayed request finds
 * the row there and is refused with `already-answered`; an answer that was acknowledged is
 * committed, so a restart loses nothing. Closing a survey takes the survey row's lock that every
 * answer holds while it is written, so no answer lands after the close.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Database, Queryable } from '@dermagan/db';
import { seededRandom, shuffled } from '@dermagan/ingest';
import type { Judgement, Source } from './stats/results.ts';

export type SurveyState = 'open' | 'paused' | 'closed';

export interface SurveyRow {
  id: string;
  title: string;
  state: SurveyState;
  config: Record<string, unknown>;
  labels: string[];
  createdBy: string | null;
  createdAt: Date;
  closedAt: Date | null;
}

export interface NewSurveyItem {
  source: Source;
  label: number;
  /** Which image it is (dataset and image id), for the operator's export. */
  origin: Record<string, unknown>;
  /** The display image in the store (ArtifactRef). */
  image: Record<string, unknown>;
}

/** Why an answer (or an invitation, or a state change) was refused; nothing was stored. */
export type RefusalReason =
  | 'survey-not-found'
  | 'survey-paused'
  | 'survey-closed'
  | 'not-your-image'
  | 'already-answered'
  | 'out-of-order'
  | 'invalid-answer'
  | 'invitation-invalid'
  | 'invitation-used'
  | 'invitation-expired'
  | 'bad-transition';

export class SurveyRefusal extends Error {
  override readonly name = 'SurveyRefusal';
  readonly retriable = false;
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** A random, opaque image id: 128 bits, so guessing another expert's (or survey's) image is hopeless. */
export function newItemId(): string {
  return randomBytes(16).toString('base64url');
}

export async function createSurvey(
  db: Database,
  survey: { id?: string; title: string; config: Record<string, unknown>; labels: string[]; createdBy: string | null; items: Array<NewSurveyItem & { id: string }> },
): Promise<string> {
  const id = survey.id ?? randomUUID();
  await db.transaction(async (tx) => {
    await tx.query('insert into surveys (id, title, state, config, labels, created_by) values ($1, $2, $3, $4, $5, $6)', [
      id, survey.title, 'open', JSON.stringify(survey.config), JSON.stringify(survey.labels), survey.createdBy,
    ]);
    for (const item of survey.items) {
      await tx.query('insert into survey_items (id, survey_id, source, label, origin, image) values ($1, $2, $3, $4, $5, $6)', [
        item.id, id, item.source, item.label, JSON.stringify(item.origin), JSON.stringify(item.image),
      ]);
    }
  });
  return id;
}

function surveyOf(r: Record<string, unknown>): SurveyRow {
  return {
    id: r.id as string,
    title: r.title as string,
    state: r.state as SurveyState,
    config: r.config as Record<string, unknown>,
    labels: r.labels as string[],
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: r.created_at as Date,
    closedAt: (r.closed_at as Date | null) ?? null,
  };
}

export async function getSurvey(db: Queryable, id: string): Promise<SurveyRow | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query('select * from surveys where id = $1', [id]);
  return rows[0] ? surveyOf(rows[0]) : null;
}

export async function listSurveys(db: Queryable): Promise<Array<SurveyRow & { items: number; experts: number; answers: number }>> {
  const { rows } = await db.query(
    `select s.*,
        (select count(*)::int from survey_items i where i.survey_id = s.id) as items,
        (select count(*)::int from accounts a where a.survey_id = s.id) as experts,
        (select count(*)::int from answers x where x.survey_id = s.id) as answers
       from surveys s order by s.created_at desc`,
  );
  return rows.map((r) => ({ ...surveyOf(r), items: r.items as number, experts: r.experts as number, answers: r.answers as number }));
}

/** Allowed moves: open ⇄ paused, open/paused → closed; closed is final. */
const TRANSITIONS: Record<SurveyState, SurveyState[]> = { open: ['paused', 'closed'], paused: ['open', 'closed'], closed: [] };

export async function setSurveyState(db: Database, id: string, to: SurveyState): Promise<SurveyRow> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query('select * from surveys where id = $1 for update', [id]);
    if (!rows[0]) throw new SurveyRefusal('survey-not-found', `no survey ${id}`);
    const from = rows[0].state as SurveyState;
    if (!TRANSITIONS[from].includes(to)) throw new SurveyRefusal('bad-transition', `a ${from} survey cannot be set ${to}${from === 'closed' ? ': closing is final' : ''}`);
    // clock_timestamp(), not now() (this transaction's start): the close happens once the row lock is
    // ours, after every answer that held the survey (for share) has committed.
    const { rows: updated } = await tx.query(
      `update surveys set state = $2, closed_at = case when $2 = 'closed' then clock_timestamp() else closed_at end where id = $1 returning *`,
      [id, to],
    );
    return surveyOf(updated[0]!);
  });
}

// --- Invitations ----------------------------------------------------------------------------------

export async function createInvitation(db: Queryable, surveyId: string, displayName: string, ttlS: number, hash: (token: string) => string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlS * 1000);
  await db.query('insert into invitations (token_hash, survey_id, display_name, expires_at) values ($1, $2, $3, $4)', [hash(token), surveyId, displayName.trim().slice(0, 200), expiresAt]);
  return { token, expiresAt };
}

export interface InvitationView {
  surveyId: string;
  surveyTitle: string;
  displayName: string;
}

/** What an invitation link shows before it is accepted; refuses a used, expired or unknown link. */
export async function peekInvitation(db: Queryable, tokenHash: string): Promise<InvitationView> {
  const { rows } = await db.query(
    'select i.*, s.title, s.state from invitations i join surveys s on s.id = i.survey_id where i.token_hash = $1',
    [tokenHash],
  );
  return checkInvitation(rows[0]);
}

function checkInvitation(row: Record<string, unknown> | undefined): InvitationView {
  if (!row) throw new SurveyRefusal('invitation-invalid', 'this invitation link is not valid; ask the survey operator for a new one');
  if (row.used_at) throw new SurveyRefusal('invitation-used', 'this invitation link was used already; sign in with the account it created');
  if ((row.expires_at as Date).getTime() <= Date.now()) throw new SurveyRefusal('invitation-expired', 'this invitation link has expired; ask the survey operator for a new one');
  if (row.state === 'closed') throw new SurveyRefusal('survey-closed', 'this survey is closed');
  return { surveyId: row.survey_id as string, surveyTitle: row.title as string, displayName: row.display_name as string };
}

/**
 * Accept an invitation once: `createExpert` makes the expert's account inside the same
 * transaction; the expert's own random order of every image is stored with it. A second
 * acceptance of the same link finds it used.
 */
export async function acceptInvitation<A extends { accountId: string }>(
  db: Database,
  tokenHash: string,
  createExpert: (tx: Queryable, invitation: InvitationView) => Promise<A>,
): Promise<A> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query(
      'select i.*, s.title, s.state from invitations i join surveys s on s.id = i.survey_id where i.token_hash = $1 for update of i',
      [tokenHash],
    );
    const invitation = checkInvitation(rows[0]);
    const account = await createExpert(tx, invitation);
    await tx.query('update invitations set used_at = now(), account_id = $2 where token_hash = $1', [tokenHash, account.accountId]);
    const { rows: items } = await tx.query<{ id: string }>('select id from survey_items where survey_id = $1 order by id', [invitation.surveyId]);
    const order = shuffled(items.map((i) => i.id), seededRandom(randomInt(2 ** 31)));
    for (const [position, itemId] of order.entries()) {
      await tx.query('insert into assignments (survey_id, account_id, position, item_id) values ($1, $2, $3, $4)', [invitation.surveyId, account.accountId, position, itemId]);
    }
    return account;
  });
}

// --- Answering ------------------------------------------------------------------------------------

export interface NextImage {
  itemId: string;
  /** 0-based position in this expert's order. */
  position: number;
  total: number;
  answered: number;
}

export interface ExpertProgress {
  state: SurveyState;
  total: number;
  answered: number;
  /** The image to answer now, or null when all are answered (or the survey is not open). */
  next: NextImage | null;
}

/** Where an expert stands; when the survey is open, the next image is marked shown now (its time starts). */
export async function expertProgress(db: Queryable, surveyId: string, accountId: string): Promise<ExpertProgress> {
  const { rows: s } = await db.query<{ state: SurveyState }>('select state from surveys where id = $1', [surveyId]);
  if (!s[0]) throw new SurveyRefusal('survey-not-found', `no survey ${surveyId}`);
  const { rows: counts } = await db.query<{ total: number; answered: number }>(
    `select count(*)::int as total, count(x.item_id)::int as answered
       from assignments a left join answers x on x.account_id = a.account_id and x.item_id = a.item_id
      where a.account_id = $1`,
    [accountId],
  );
  const { total, answered } = counts[0]!;
  if (s[0].state !== 'open') return { state: s[0].state, total, answered, next: null };
  const { rows } = await db.query<{ item_id: string; position: number }>(
    `update assignments set served_at = now()
      where account_id = $1 and position = (
        select min(a.position) from assignments a
         where a.account_id = $1 and not exists (select 1 from answers x where x.account_id = a.account_id and x.item_id = a.item_id))
      returning item_id, position`,
    [accountId],
  );
  const next = rows[0] ? { itemId: rows[0].item_id, position: rows[0].position, total, answered } : null;
  return { state: 'open', total, answered, next };
}

export interface AnswerInput {
  itemId: string;
  judged: Source;
  /** 1 (guessing) … 5 (certain). */
  confidence: number;
  classAnswer: number | null;
}

/**
 * Store one answer of an expert, or refuse it with a reason (nothing stored): the survey must be
 * open, the image must be this expert's and the one it is on now, and not answered before.
 */
export async function submitAnswer(db: Database, surveyId: string, accountId: string, answer: AnswerInput): Promise<{ elapsedMs: number }> {
  return db.transaction(async (tx) => {
    const { rows: s } = await tx.query<{ state: SurveyState; labels: string[]; config: Record<string, unknown> }>(
      'select state, labels, config from surveys where id = $1 for share',
      [surveyId],
    );
    const survey = s[0];
    if (!survey) throw new SurveyRefusal('survey-not-found', `no survey ${surveyId}`);
    if (survey.state === 'closed') throw new SurveyRefusal('survey-closed', 'the survey is closed; answers are no longer taken');
    if (survey.state === 'paused') throw new SurveyRefusal('survey-paused', 'the operator paused the survey; come back when it is resumed');
    if (!['real', 'synthetic'].includes(answer.judged) || !Number.isInteger(answer.confidence) || answer.confidence < 1 || answer.confidence > 5) {
      throw new SurveyRefusal('invalid-answer', 'an answer is real or synthetic with a confidence from 1 to 5');
    }
    if (answer.classAnswer !== null && (!Number.isInteger(answer.classAnswer) || answer.classAnswer < 0 || answer.classAnswer >= survey.labels.length)) {
      throw new SurveyRefusal('invalid-answer', `the class answer must be one of ${survey.labels.join(', ')}`);
    }
    const { rows: a } = await tx.query<{ position: number; served_at: Date | null }>(
      // `for update`: two submits of the same image (two tabs) queue here, so the second one reads
      // the first's answer below and is refused as already-answered, not as out-of-order.
      'select position, served_at from assignments where account_id = $1 and item_id = $2 and survey_id = $3 for update',
      [accountId, answer.itemId, surveyId],
    );
    if (!a[0]) throw new SurveyRefusal('not-your-image', 'this image is not one of your survey’s images');
    const { rows: done } = await tx.query('select 1 from answers where account_id = $1 and item_id = $2', [accountId, answer.itemId]);
    if (done[0]) throw new SurveyRefusal('already-answered', 'this image was answered already (a second tab or a repeated submit); the first answer counts');
    const { rows: first } = await tx.query<{ position: number }>(
      `select min(a.position)::int as position from assignments a
        where a.account_id = $1 and not exists (select 1 from answers x where x.account_id = a.account_id and x.item_id = a.item_id)`,
      [accountId],
    );
    if (first[0]?.position !== a[0].position || a[0].served_at === null) {
      throw new SurveyRefusal('out-of-order', 'this is not the image you are on; reload the survey page');
    }
    const { rows: stored } = await tx.query<{ elapsed_ms: number }>(
      `insert into answers (survey_id, account_id, item_id, judged, confidence, class_answer, elapsed_ms, answered_at)
       values ($1, $2, $3, $4, $5, $6, greatest(0, least(2147483647, (extract(epoch from (now() - $7::timestamptz)) * 1000)::bigint))::int, clock_timestamp())
       on conflict (account_id, item_id) do nothing
       returning elapsed_ms`,
      [surveyId, accountId, answer.itemId, answer.judged, answer.confidence, answer.classAnswer, a[0].served_at],
    );
    if (!stored[0]) throw new SurveyRefusal('already-answered', 'this image was answered already (a second tab or a repeated submit); the first answer counts');
    return { elapsedMs: stored[0].elapsed_ms };
  });
}

/** Whether an image belongs to an expert's order (the image route's check). */
export async function isAssigned(db: Queryable, accountId: string, itemId: string): Promise<Record<string, unknown> | null> {
  const { rows } = await db.query<{ image: Record<string, unknown> }>(
    'select i.image from assignments a join survey_items i on i.id = a.item_id where a.account_id = $1 and a.item_id = $2',
    [accountId, itemId],
  );
  return rows[0]?.image ?? null;
}

export interface ExpertStatus {
  accountId: string;
  displayName: string;
  username: string;
  answered: number;
  total: number;
}

/** Per-expert progress counts (the operator's view while open: counts only, no answers). */
export async function surveyProgress(db: Queryable, surveyId: string): Promise<ExpertStatus[]> {
  const { rows } = await db.query(
    `select a.id, a.display_name, a.username,
        (select count(*)::int from assignments s where s.account_id = a.id) as total,
        (select count(*)::int from answers x where x.account_id = a.id) as answered
       from accounts a where a.survey_id = $1 order by a.username`,
    [surveyId],
  );
  return rows.map((r) => ({ accountId: r.id as string, displayName: r.display_name as string, username: r.username as string, answered: r.answered as number, total: r.total as number }));
}

export interface StoredAnswer extends Judgement {
  username: string;
  displayName: string;
  position: number;
  origin: Record<string, unknown>;
  answeredAt: Date;
}

/** Every answer joined with its image's truth (for results and the export; callers show it only once closed). */
export async function surveyAnswers(db: Queryable, surveyId: string): Promise<StoredAnswer[]> {
  const { rows } = await db.query(
    `select x.*, i.source, i.label, i.origin, a.username, a.display_name, s.position
       from answers x
       join survey_items i on i.id = x.item_id
       join accounts a on a.id = x.account_id
       join assignments s on s.account_id = x.account_id and s.item_id = x.item_id
      where x.survey_id = $1
      order by a.username, s.position`,
    [surveyId],
  );
  return rows.map((r) => ({
    expert: r.username as string,
    username: r.username as string,
    displayName: r.display_name as string,
    item: r.item_id as string,
    truth: r.source as Source,
    label: r.label as number,
    judged: r.judged as Source,
    confidence: r.confidence as number,
    classAnswer: (r.class_answer as number | null) ?? null,
    elapsedMs: r.elapsed_ms as number,
    position: r.position as number,
    origin: r.origin as Record<string, unknown>,
    answeredAt: r.answered_at as Date,
  }));
}

/** Counts for the storage contract: rows in answers for a survey. */
export async function countAnswers(db: Queryable, surveyId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from answers where survey_id = $1', [surveyId]);
  return rows[0]?.n ?? 0;
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
