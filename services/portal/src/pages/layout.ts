/** The frame of every page: navigation for the account's role, the CSRF token for the scripts. */
import type { Principal } from '@dermagan/auth';
import { html, type Html } from './html.ts';

const NAV: Array<{ href: string; label: string; roles: Principal['role'][] }> = [
  { href: '/runs', label: 'Runs', roles: ['operator', 'researcher', 'tenant-admin'] },
  { href: '/explorer', label: 'Latent explorer', roles: ['operator', 'researcher'] },
  { href: '/privacy', label: 'Privacy', roles: ['operator', 'researcher'] },
  { href: '/surveys', label: 'Surveys', roles: ['operator', 'researcher'] },
  { href: '/survey', label: 'My survey', roles: ['expert'] },
  { href: '/accounts', label: 'Accounts', roles: ['operator'] },
];

export interface PageFrame {
  title: string;
  principal: Principal | null;
  csrfToken: string;
  body: Html;
}

export function layout(p: PageFrame): string {
  const nav = p.principal ? NAV.filter((n) => n.roles.includes(p.principal!.role)) : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${p.csrfToken}">
<title>${p.title} · dermagan</title>
<link rel="stylesheet" href="/assets/style.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header>
  <a class="brand" href="/">dermagan</a>
  <nav>${nav.map((n) => html`<a href="${n.href}">${n.label}</a>`)}</nav>
  ${p.principal
    ? html`<form class="whoami" data-api="DELETE /api/session" data-then="go:/login"><span>${p.principal.displayName} (${p.principal.role}${p.principal.tenant ? ` · ${p.principal.tenant}` : ''})</span><button>Sign out</button></form>`
    : ''}
</header>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>`.text;
}
