// What the route files share: how a route learns its caller, and the schemas of an id in the path
// and of a decision's optional comment.
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../services/index.ts';

/** Resolves (once per request) the bearer token to the person acting; refusals throw with their code. */
export type Auth = (req: FastifyRequest) => Promise<Principal>;

export const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] } as const;
export const commentBody = { type: ['object', 'null'], properties: { comment: { type: 'string', maxLength: 2000 } }, additionalProperties: false } as const;
