/**
 * /openapi.json is generated from the route table's zod schemas: every route is there with its
 * parameters and request body, and the document's schemas say what the validators enforce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from './testing/harness.ts';

let t: TestPortal;
let doc: { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required: boolean }>; requestBody?: { content: Record<string, { schema: { required?: string[]; properties: Record<string, Record<string, unknown>> } }> }; 'x-dermagan-access': unknown }>> };

beforeAll(async () => {
  t = await startTestPortal();
  doc = (await t.client().get('/openapi.json')).body as typeof doc;
});
afterAll(() => t.close());

describe('/openapi.json', () => {
  it('is public OpenAPI 3.1 and lists every route of the table, with who may call it', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const r of t.portal.app.routes) {
      const op = doc.paths[r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op!['x-dermagan-access']).toEqual(r.access);
    }
  });

  it("describes the answer body as the validator checks it (required fields, enum, confidence 1–5)", () => {
    const body = doc.paths['/api/expert/answers']!.post!.requestBody!.content['application/json']!.schema;
    expect(body.required).toEqual(['itemId', 'judged', 'confidence']);
    expect(body.properties.judged).toMatchObject({ enum: ['real', 'synthetic'] });
    expect(body.properties.confidence).toMatchObject({ minimum: 1, maximum: 5 });
  });

  it('has path and query parameters, and the CSRF header on every change', () => {
    const grid = doc.paths['/api/runs/{id}/snapshots/{kimg}/grid.png']!.get!;
    expect(grid.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:id:true', 'path:kimg:true']);
    const runs = doc.paths['/api/runs']!.get!;
    expect(runs.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['query:kind:false', 'query:limit:false', 'query:offset:false']);
    expect(doc.paths['/api/surveys']!.post!.parameters!.some((p) => p.in === 'header' && p.name === 'x-csrf-token')).toBe(true);
  });
});
