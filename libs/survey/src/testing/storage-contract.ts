/**
 * The portal's storage contract, as one vitest suite run on PGlite (unit) and on a real PostgreSQL
 * server (tests/portal-postgres.test.ts): accounts and sessions, and the survey's promise that an
 * answer is never lost or double-counted — double submits, two tabs, replays, a tampered image id,
 * a closed or paused survey, and a database restart in the middle of a survey.
 *
 * `open` opens the same database each time it is called (migrating it); the suite closes what it
 * opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createSession, endSession, resolveSession, signIn, tokenHash, type Principal } from '@dermagan/auth';
import type { Database } from '@dermagan/db';
import {
  acceptInvitation, countAnswers, createInvitation, createSurvey, expertProgress, newItemId, peekInvitation, setSurveyState, submitAnswer,
  surveyAnswers, SurveyRefusal, type RefusalReason,
} from '../repository.ts';

let serial = 0;
const run = Math.random().toString(36).slice(2, 8);
const unique = (p: string) => `${p}-${run}-${++serial}`;

async function refusal(promise: Promise<unknown>): Promise<RefusalReason> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SurveyRefusal) return err.reason;
    throw err;
  }
  throw new Error('expected a refusal, the call succeeded');
}

export function storageContractSuite(name: string, open: () => Promise<Database>): void {
  describe(`portal storage contract: ${name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db.close();
    });

    /** A survey of `n` images (alternating real/synthetic) with one operator. */
    async function survey(n = 4) {
      const operator = await createAccount(db, { username: unique('op'), role: 'operator', password: 'operator-pass' });
      const items = Array.from({ length: n }, (_, i) => ({
        id: newItemId(),
        source: (i % 2 ? 'synthetic' : 'real') as 'real' | 'synthetic',
        label: i % 2,
        origin: { dataset: 'd', image: `img-${i}` },
        image: { bucket: 'b', key: `k${i}.png` },
      }));
      const id = await createSurvey(db, { title: 'contract', config: { n }, labels: ['benign', 'melanoma'], createdBy: operator.accountId, items });
      return { id, operator, items };
    }

    async function expert(surveyId: string): Promise<Principal> {
      const { token } = await createInvitation(db, surveyId, 'Dr Expert', 3600, tokenHash);
      return acceptInvitation(db, tokenHash(token), (tx) => createAccount(tx, { username: unique('expert'), role: 'expert', surveyId, password: 'expert-pass' }));
    }

    async function answerNext(surveyId: string, who: Principal, judged: 'real' | 'synthetic' = 'real') {
      const p = await expertProgress(db, surveyId, who.accountId);
      return { itemId: p.next!.itemId, result: await submitAnswer(db, surveyId, who.accountId, { itemId: p.next!.itemId, judged, confidence: 3, classAnswer: null }) };
    }

    describe('accounts and sessions', () => {
      it('signs in with the right password only, and never with a disabled account', async () => {
        const username = unique('researcher');
        const account = await createAccount(db, { username, role: 'researcher', password: 'correct horse' });
        expect((await signIn(db, username, 'correct horse'))?.accountId).toBe(account.accountId);
        expect(await signIn(db, username, 'wrong horse')).toBeNull();
        expect(await signIn(db, unique('nobody'), 'correct horse')).toBeNull();
        await db.query('update accounts set disabled = true where id = $1', [account.accountId]);
        expect(await signIn(db, username, 'correct horse')).toBeNull();
      });

      it('a session resolves until it ends, expires, or idles out; the table holds only token hashes', async () => {
        const account = await createAccount(db, { username: unique('r'), role: 'researcher', password: 'password1' });
        const session = await createSession(db, account);
        expect((await resolveSession(db, session.token))?.principal.accountId).toBe(account.accountId);
        expect((await db.query('select count(*)::int as n from sessions where token_hash = $1', [session.token])).rows[0]).toEqual({ n: 0 });
        await endSession(db, session.token);
        expect(await resolveSession(db, session.token)).toBeNull();

        const idle = await createSession(db, account);
        await db.query("update sessions set last_seen_at = now() - interval '3 hours' where token_hash = $1", [tokenHash(idle.token)]);
        expect(await resolveSession(db, idle.token, { absoluteS: 86400, idleS: 7200 })).toBeNull();
        const old = await createSession(db, account, { absoluteS: 1, idleS: 7200 });
        await db.query("update sessions set expires_at = now() - interval '1 second' where token_hash = $1", [tokenHash(old.token)]);
        expect(await resolveSession(db, old.token)).toBeNull();
      });
    });

    describe('invitations', () => {
      it('a link works once: the second acceptance is refused and creates nothing', async () => {
        const { id } = await survey();
        const { token } = await createInvitation(db, id, 'Dr One', 3600, tokenHash);
        expect((await peekInvitation(db, tokenHash(token))).displayName).toBe('Dr One');
        const first = await acceptInvitation(db, tokenHash(token), (tx) => createAccount(tx, { username: unique('e'), role: 'expert', surveyId: id, password: 'expert-pass' }));
        expect(first.role).toBe('expert');
        const secondName = unique('e');
        expect(await refusal(acceptInvitation(db, tokenHash(token), (tx) => createAccount(tx, { username: secondName, role: 'expert', surveyId: id, password: 'expert-pass' })))).toBe('invitation-used');
        expect((await db.query('select count(*)::int as n from accounts where username = $1', [secondName])).rows[0]).toEqual({ n: 0 });
      });

      it('two acceptances of one link at once: exactly one account', async () => {
        const { id } = await survey();
        const { token } = await createInvitation(db, id, 'Dr Race', 3600, tokenHash);
        const tries = await Promise.allSettled([0, 1].map(() => acceptInvitation(db, tokenHash(token), (tx) => createAccount(tx, { username: unique('e'), role: 'expert', surveyId: id, password: 'expert-pass' }))));
        expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
        expect((await db.query('select count(*)::int as n from accounts where survey_id = $1', [id])).rows[0]).toEqual({ n: 1 });
      });

      it('expired and unknown links are refused', async () => {
        const { id } = await survey();
        const { token } = await createInvitation(db, id, 'Dr Late', -1, tokenHash);
        expect(await refusal(peekInvitation(db, tokenHash(token)))).toBe('invitation-expired');
        expect(await refusal(peekInvitation(db, tokenHash('nonsense')))).toBe('invitation-invalid');
      });

      it("each expert gets every image once, in its own order", async () => {
        const { id, items } = await survey(12);
        const [a, b] = [await expert(id), await expert(id)];
        const order = async (who: Principal) => (await db.query<{ item_id: string }>('select item_id from assignments where account_id = $1 order by position', [who.accountId])).rows.map((r) => r.item_id);
        const [oa, ob] = [await order(a), await order(b)];
        expect([...oa].sort()).toEqual(items.map((i) => i.id).sort());
        expect([...ob].sort()).toEqual(items.map((i) => i.id).sort());
        expect(oa).not.toEqual(ob); // 1 in 12! to fail by chance
      });
    });

    describe('answers', () => {
      it('are stored once per expert and image, with the time since the image was shown', async () => {
        const { id } = await survey();
        const e = await expert(id);
        const { result } = await answerNext(id, e, 'synthetic');
        expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
        expect(await countAnswers(db, id)).toBe(1);
        expect((await expertProgress(db, id, e.accountId)).answered).toBe(1);
      });

      it('a replayed answer (same request again) is refused as already-answered; one row stays', async () => {
        const { id } = await survey();
        const e = await expert(id);
        const { itemId } = await answerNext(id, e);
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId, judged: 'synthetic', confidence: 5, classAnswer: null }))).toBe('already-answered');
        expect(await countAnswers(db, id)).toBe(1);
        expect((await surveyAnswers(db, id))[0]!.judged).toBe('real');
      });

      it('a double submit (two at once, as from two tabs) stores exactly one answer, and the others are told already-answered', async () => {
        // The race is lost only now and then (a second submit reading between the first's checks
        // and its commit), so it is run on every image of a survey.
        const { id } = await survey(6);
        const e = await expert(id);
        for (let answered = 1; answered <= 6; answered++) {
          const { next } = await expertProgress(db, id, e.accountId);
          const tries = await Promise.allSettled(
            (['real', 'synthetic', 'real', 'synthetic'] as const).map((judged) => submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged, confidence: 2, classAnswer: null })),
          );
          expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
          for (const t of tries) if (t.status === 'rejected') expect((t.reason as SurveyRefusal).reason).toBe('already-answered');
          expect(await countAnswers(db, id)).toBe(answered);
        }
      });

      it("a tampered image id (another expert's, another survey's, made up) is refused; nothing stored", async () => {
        const { id, items } = await survey();
        const other = await survey();
        const e = await expert(id);
        await expertProgress(db, id, e.accountId);
        for (const itemId of [other.items[0]!.id, 'made-up-id', '']) {
          expect(await refusal(submitAnswer(db, id, e.accountId, { itemId, judged: 'real', confidence: 3, classAnswer: null }))).toBe('not-your-image');
        }
        // An image of this survey, but not the one the expert is on: refused as out of order.
        const { next } = await expertProgress(db, id, e.accountId);
        const notNow = items.find((i) => i.id !== next!.itemId)!;
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: notNow.id, judged: 'real', confidence: 3, classAnswer: null }))).toBe('out-of-order');
        expect(await countAnswers(db, id)).toBe(0);
      });

      it('invalid answers are refused (confidence outside 1–5, class outside the labels)', async () => {
        const { id } = await survey();
        const e = await expert(id);
        const { next } = await expertProgress(db, id, e.accountId);
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged: 'real', confidence: 6, classAnswer: null }))).toBe('invalid-answer');
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged: 'real', confidence: 3, classAnswer: 2 }))).toBe('invalid-answer');
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged: 'fake' as 'real', confidence: 3, classAnswer: null }))).toBe('invalid-answer');
        expect(await countAnswers(db, id)).toBe(0);
      });

      it('paused and closed surveys refuse answers; closing is final', async () => {
        const { id } = await survey();
        const e = await expert(id);
        const { next } = await expertProgress(db, id, e.accountId);
        await setSurveyState(db, id, 'paused');
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged: 'real', confidence: 3, classAnswer: null }))).toBe('survey-paused');
        expect((await expertProgress(db, id, e.accountId)).next).toBeNull();
        await setSurveyState(db, id, 'open');
        await answerNext(id, e);
        await setSurveyState(db, id, 'closed');
        const { rows } = await db.query<{ item_id: string }>('select item_id from assignments where account_id = $1 order by position offset 1 limit 1', [e.accountId]);
        expect(await refusal(submitAnswer(db, id, e.accountId, { itemId: rows[0]!.item_id, judged: 'real', confidence: 3, classAnswer: null }))).toBe('survey-closed');
        expect(await refusal(setSurveyState(db, id, 'open'))).toBe('bad-transition');
        expect(await countAnswers(db, id)).toBe(1);
      });

      it('an answer racing the close is either stored before it or refused, never after it', async () => {
        // Which one wins varies from run to run (and the stored times once lied about it), so the race is run several times.
        for (let race = 0; race < 6; race++) {
          const { id } = await survey(8);
          const e = await expert(id);
          const { next } = await expertProgress(db, id, e.accountId);
          const [answer, close] = await Promise.allSettled([
            submitAnswer(db, id, e.accountId, { itemId: next!.itemId, judged: 'real', confidence: 3, classAnswer: null }),
            setSurveyState(db, id, 'closed'),
          ]);
          expect(close.status).toBe('fulfilled');
          const { rows } = await db.query<{ late: boolean }>('select x.answered_at > s.closed_at as late from answers x join surveys s on s.id = x.survey_id where x.survey_id = $1', [id]);
          expect(rows.filter((r) => r.late)).toEqual([]);
          expect(await countAnswers(db, id)).toBe(answer.status === 'fulfilled' ? 1 : 0);
        }
      });

      it('a restart in the middle of a survey loses no acknowledged answer, and the expert goes on where it was', async () => {
        const { id } = await survey(6);
        const e = await expert(id);
        const acknowledged = [(await answerNext(id, e)).itemId, (await answerNext(id, e, 'synthetic')).itemId];
        const before = await expertProgress(db, id, e.accountId);
        await db.close();
        db = await open();
        expect((await surveyAnswers(db, id)).map((a) => a.item)).toEqual(acknowledged);
        const after = await expertProgress(db, id, e.accountId);
        expect(after.answered).toBe(2);
        expect(after.next!.itemId).toBe(before.next!.itemId);
        await answerNext(id, e);
        expect(await countAnswers(db, id)).toBe(3);
      });
    });
  });
}
