-- The portal's database: accounts and sessions, the expert survey, and the index of what the
-- platform did (runs, snapshots, federation rounds, datasets, analyses) as the portal saw it on
-- the bus. One schema for PostgreSQL and PGlite. Ids are text or uuid and counts int4 so both
-- drivers decode every column the same way.

-- Access ------------------------------------------------------------------------------------------

create table surveys (
  id uuid primary key,
  title text not null,
  -- open: experts answer; paused: nobody answers; closed: results visible, nothing changes any more.
  state text not null check (state in ('open', 'paused', 'closed')),
  -- What the survey was made from (datasets, counts, balance, seed, display size, class question).
  config jsonb not null,
  -- Class names of the datasets, by label index.
  labels jsonb not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  closed_at timestamptz
);

create table accounts (
  id uuid primary key,
  username text not null unique,
  display_name text not null,
  role text not null check (role in ('operator', 'researcher', 'tenant-admin', 'expert')),
  -- The one tenant a tenant admin sees; null for every other role.
  tenant text,
  -- The one survey an expert sees; null for every other role.
  survey_id uuid references surveys (id) on delete cascade,
  -- scrypt$N$r$p$salt$hash; null = no password sign-in (an OIDC-only account).
  password_hash text,
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  constraint accounts_tenant_iff_tenant_admin check ((role = 'tenant-admin') = (tenant is not null)),
  constraint accounts_survey_iff_expert check ((role = 'expert') = (survey_id is not null))
);

alter table surveys add constraint surveys_created_by_fkey foreign key (created_by) references accounts (id) on delete set null;

-- An external identity (OIDC issuer + subject) signed in as an account; none are needed for passwords.
create table identities (
  provider text not null,
  subject text not null,
  account_id uuid not null references accounts (id) on delete cascade,
  primary key (provider, subject)
);

create table sessions (
  -- SHA-256 of the cookie's token: a copy of the table signs nobody in.
  token_hash text primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  -- The synchroniser token every state-changing request of this session must carry.
  csrf_token text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  -- Absolute end; the idle end is last_seen_at + the configured idle timeout.
  expires_at timestamptz not null
);
create index sessions_account on sessions (account_id);

-- The expert survey ------------------------------------------------------------------------------

create table survey_items (
  -- Random and opaque: the id an expert's browser sees says nothing about the image's truth.
  id text primary key,
  survey_id uuid not null references surveys (id) on delete cascade,
  source text not null check (source in ('real', 'synthetic')),
  label int not null,
  -- Which image of which dataset (kept for the operator's export, never shown to experts).
  origin jsonb not null,
  -- The display PNG in the store (ArtifactRef).
  image jsonb not null
);
create index survey_items_survey on survey_items (survey_id);

create table invitations (
  token_hash text primary key,
  survey_id uuid not null references surveys (id) on delete cascade,
  display_name text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  -- Set once, by the acceptance that created the expert's account: a link works one time.
  used_at timestamptz,
  account_id uuid references accounts (id) on delete set null
);
create index invitations_survey on invitations (survey_id);

-- Each expert's own order of the survey's images.
create table assignments (
  survey_id uuid not null references surveys (id) on delete cascade,
  account_id uuid not null references accounts (id) on delete cascade,
  position int not null,
  item_id text not null references survey_items (id) on delete cascade,
  -- When the image was last shown to this expert (time per image = answered_at - served_at).
  served_at timestamptz,
  primary key (account_id, position),
  unique (account_id, item_id)
);

create table answers (
  survey_id uuid not null references surveys (id) on delete cascade,
  account_id uuid not null references accounts (id) on delete cascade,
  item_id text not null references survey_items (id) on delete cascade,
  judged text not null check (judged in ('real', 'synthetic')),
  confidence int not null check (confidence between 1 and 5),
  class_answer int,
  answered_at timestamptz not null default now(),
  elapsed_ms int not null check (elapsed_ms >= 0),
  -- One answer per expert and image: a double submit, a second tab or a replay cannot add another.
  primary key (account_id, item_id)
);
create index answers_survey on answers (survey_id);

-- What the platform did, as seen on the bus ------------------------------------------------------

create table runs (
  -- training:<study>/<run>, federation:<id>, study:<id>.
  id text primary key,
  kind text not null check (kind in ('training', 'federation', 'study')),
  name text not null,
  -- The study (runid) a training belongs to, when it belongs to one.
  study text,
  -- The tenant the run belongs to (tenant admins see only theirs); null = central.
  tenant text,
  -- The tenants taking part in a federation (their admins see it, redacted to their own numbers).
  tenants jsonb not null default '[]'::jsonb,
  status text not null check (status in ('requested', 'running', 'completed', 'failed')),
  started_at timestamptz not null,
  updated_at timestamptz not null,
  -- Latest numbers (kimg, total kimg, losses, ADA p, FID, rounds) for the list page.
  summary jsonb not null default '{}'::jsonb,
  -- The request as published, and the final event's data.
  request jsonb,
  result jsonb
);
create index runs_updated on runs (updated_at desc);
create index runs_study on runs (study);

create table run_ticks (
  run_id text not null references runs (id) on delete cascade,
  kimg double precision not null,
  stats jsonb not null,
  at timestamptz not null,
  primary key (run_id, kimg)
);

create table snapshots (
  run_id text not null references runs (id) on delete cascade,
  kimg double precision not null,
  checkpoint jsonb not null,
  -- The sample grid PNG (ArtifactRef), or why there is none.
  grid jsonb,
  grid_error text,
  at timestamptz not null,
  primary key (run_id, kimg)
);

create table federation_rounds (
  run_id text not null references runs (id) on delete cascade,
  round int not null,
  attempt int not null,
  -- federation.round.completed data (participants, accepted, dropped, rejected, norms, samples).
  data jsonb not null,
  at timestamptz not null,
  primary key (run_id, round, attempt)
);

create table datasets (
  bucket text not null,
  prefix text not null,
  name text not null,
  kind text not null check (kind in ('real', 'synthetic')),
  count int not null,
  -- FolderRef as announced.
  ref jsonb not null,
  at timestamptz not null,
  primary key (bucket, prefix)
);

-- Results other services leave for the portal to show: the explainer's latent directions, the
-- privacy audit; keyed by what they are about (a checkpoint or a run).
create table analyses (
  kind text not null check (kind in ('latent-directions', 'privacy-audit', 'study-report')),
  subject text not null,
  ref jsonb not null,
  at timestamptz not null,
  primary key (kind, subject)
);
