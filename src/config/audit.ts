import { z } from 'zod';
import { configDuration } from './duration.js';
import { SlackUserId } from './slack-ids.js';

/** `audit:` in stopgap.yml: the Kubernetes audit webhook (`POST /k8s/audit`). */
export const AuditConfig = z.strictObject({
  /** Bearer token the API server's webhook kubeconfig sends; STOPGAP_AUDIT_TOKEN overrides. */
  token: z.string().min(16, 'use a token of at least 16 characters (e.g. openssl rand -hex 24)').optional(),
  /** Serve the webhook on its own port instead of the main one. */
  port: z.number().int().min(0).max(65535).optional(),
  /** Kubernetes usernames → Slack users, e.g. `alice@corp.example: U024BE7LH`. */
  users: z.record(z.string().min(1), SlackUserId).default({}),
  /** Users whose writes are automation besides system users (`system:serviceaccount:argocd:*`); globs. */
  automationUsers: z.array(z.string().min(1)).default([]),
  /** Audit events older than this are deleted. */
  retention: configDuration(['h', 'd', 'w']).default(30 * 86_400_000),
  /** Larger webhook bodies are refused with 413. */
  maxBodyBytes: z.number().int().min(1_024).max(512 * 1024 * 1024).default(10 * 1024 * 1024),
});
export type AuditConfig = z.infer<typeof AuditConfig>;
