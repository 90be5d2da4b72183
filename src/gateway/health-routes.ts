import { Router } from 'express';
import { credentialFromHeaders, type Authenticator } from '../auth/authenticator.js';
import type { ReadinessCheck } from './readiness.js';

/**
 * `/healthz` (the process is up; open) and `/readyz` (database, Redis and the Platform token:
 * load balancers poll it without credentials and get the verdict; callers with a valid
 * credential also get the details: `notReady` names what is not ready, `checks` says why).
 */
export function healthRoutes(options: { readiness: ReadinessCheck; authenticator: Authenticator }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const report = await options.readiness.check();
    let authenticated = false;
    const credential = credentialFromHeaders(req.headers);
    if (credential)
      authenticated = await options.authenticator.authenticate(credential).then(
        () => true,
        () => false,
      );
    res.status(report.ready ? 200 : 503).json(authenticated ? report : { ready: report.ready });
  });
  return router;
}
