// A second process for the refresh race: asks its TokenSource for a token
// (which refreshes the expired one, under the lock) and prints the token's
// SHA-256 prefix, never the token itself.
import { createHash } from 'node:crypto';
import { TokenSource } from '../../cloud/yandex-disk/credentials.ts';

const [file, oauthUrl] = process.argv.slice(2) as [string, string];
const tokens = new TokenSource(file, { oauthUrl });
const token = await tokens.accessToken();
process.stdout.write(`${createHash('sha256').update(token).digest('hex').slice(0, 16)} refreshes=${tokens.refreshes}\n`);
