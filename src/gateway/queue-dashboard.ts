import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { AdminSessions } from '../auth/admin-sessions.js';
import { AppError } from '../errors/app-errors.js';
import type { Logger } from '../logging/logger.js';

/** Where the dashboard is mounted, and its sign-in page. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
export const SIGN_IN_PATH = '/admin/sign-in';
const SIGN_OUT_PATH = '/admin/sign-out';
/** The session cookie: scoped to /admin, so no GraphQL request ever carries it. */
export const SESSION_COOKIE = 'flowgate_admin_session';

export interface QueueDashboardOptions {
  queues: readonly Queue[];
  sessions: AdminSessions;
  /** Seconds the cookie lasts (the session's time in Redis). */
  sessionSeconds: number;
  logger: Logger;
}

/**
 * Bull Board at `/admin/queues`, for admins only, with a sign-in page: a browser posts an admin
 * API key once (`/admin/sign-in`) and gets an HttpOnly, SameSite=Strict session cookie (Secure
 * over HTTPS) lasting `sessionSeconds`. Without a valid session, pages redirect to the sign-in
 * page and the dashboard's API answers 401. Its own Content-Security-Policy allows the
 * dashboard's scripts and styles from this origin only.
 */
export function queueDashboard(options: QueueDashboardOptions): Router {
  const { sessions, logger } = options;
  const router = Router();
  // Bull Board's page uses inline styles and its own scripts; nothing from another origin (its
  // web font link is blocked, the page falls back to a local font).
  router.use(
    '/admin',
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
    (_req, res, next) => {
      res.setHeader('cache-control', 'no-store');
      next();
    },
  );

  router.get(SIGN_IN_PATH, (_req, res) => {
    res.type('html').send(signInPage(null));
  });
  router.post(SIGN_IN_PATH, express.urlencoded({ extended: false, limit: '4kb' }), async (req: Request, res: Response) => {
    const apiKey = typeof (req.body as Record<string, unknown> | undefined)?.apiKey === 'string' ? ((req.body as Record<string, string>).apiKey ?? '').trim() : '';
    try {
      const { token, session } = await sessions.signIn(apiKey);
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: isHttps(req), path: '/admin', maxAge: options.sessionSeconds * 1000 });
      logger.info({ caller: session.callerId }, 'signed in to the queue dashboard');
      res.redirect(303, `${QUEUE_DASHBOARD_PATH}/`);
    } catch (error) {
      if (!(error instanceof AppError)) {
        logger.error({ err: error }, 'queue dashboard sign-in failed unexpectedly');
        res.status(503).type('html').send(signInPage('Signing in is unavailable right now; try again.'));
        return;
      }
      res
        .status(error.code === 'FORBIDDEN' ? 403 : 401)
        .type('html')
        .send(signInPage(error.code === 'FORBIDDEN' ? 'This key is not an admin key.' : 'That is not a valid API key.'));
    }
  });
  router.post(SIGN_OUT_PATH, async (req, res) => {
    await sessions.signOut(sessionToken(req));
    res.clearCookie(SESSION_COOKIE, { path: '/admin' });
    res.redirect(303, SIGN_IN_PATH);
  });

  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: options.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board, options: { uiConfig: { boardTitle: 'Flowgate queues' } } });
  router.use(QUEUE_DASHBOARD_PATH, requireSession(sessions, logger), board.getRouter() as RequestHandler);
  return router;
}

/** Lets a request with a valid session cookie through; a page without one goes to the sign-in page, an API call gets 401. */
function requireSession(sessions: AdminSessions, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    let valid = false;
    try {
      valid = (await sessions.check(sessionToken(req))) !== null;
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'could not check a queue dashboard session');
    }
    if (valid) return next();
    if (req.method === 'GET' && !req.path.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html')) return res.redirect(303, SIGN_IN_PATH);
    res.status(401).json({ error: 'sign in at /admin/sign-in first' });
  };
}

/** The session token from the Cookie header (express has no cookie parser by default, and needs none for one cookie). */
function sessionToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Whether the browser reached us over HTTPS (directly, or through a proxy that says so). */
function isHttps(req: Request): boolean {
  return req.secure || req.headers['x-forwarded-proto'] === 'https';
}

function signInPage(problem: string | null): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Flowgate queues: sign in</title></head>
<body>
<h1>Flowgate queue dashboard</h1>
<p>Sign in with an admin API key. The session lasts a few minutes; the key itself is not kept in the browser.</p>
${problem ? `<p role="alert" id="problem">${problem}</p>` : ''}
<form method="post" action="${SIGN_IN_PATH}">
<label for="apiKey">Admin API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
