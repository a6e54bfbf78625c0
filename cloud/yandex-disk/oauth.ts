// Yandex OAuth: the device-code login (the user types a short code on
// oauth.yandex.ru/device while we poll) and the refresh of an access token.
// Requests are form-encoded; answers are {access_token, refresh_token,
// expires_in} or {error, error_description}.
import { apiError, redact, requestWithRetry, sleep, YandexApiError, type HttpOptions } from './http.ts';

export interface OAuthClient {
  oauthUrl: string;
  clientId: string;
  clientSecret: string | null;
}

export interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUrl: string;
  /** Seconds between polls, as the server asks. */
  interval: number;
  /** Seconds the code lives (ten minutes at Yandex). */
  expiresIn: number;
}

/** The refresh token is no longer accepted (revoked, expired, password changed): only a new login helps. */
export class LoginNeededError extends Error {
  override name = 'LoginNeededError';
}

/** Asks for a device code: the user enters `userCode` at `verificationUrl`. */
export async function requestDeviceCode(client: OAuthClient, deviceName: string, http: HttpOptions = {}): Promise<DeviceCode> {
  const body = form({ client_id: client.clientId, device_name: deviceName });
  const response = await requestWithRetry(`${client.oauthUrl}/device/code`, { method: 'POST', body, headers: FORM }, 'asking Yandex for a login code', http);
  const answer = (await response.json()) as Record<string, unknown>;
  return {
    deviceCode: String(answer.device_code), userCode: String(answer.user_code), verificationUrl: String(answer.verification_url ?? 'https://oauth.yandex.ru/device'),
    interval: Number(answer.interval ?? 5), expiresIn: Number(answer.expires_in ?? 600),
  };
}

/**
 * Polls the token endpoint at the server's interval until the user has
 * entered the code; throws when the code expires or is refused.
 */
export async function pollDeviceToken(client: OAuthClient, code: DeviceCode, http: HttpOptions = {}): Promise<TokenAnswer> {
  const deadline = Date.now() + code.expiresIn * 1000;
  let interval = code.interval;
  for (;;) {
    await sleep(interval * 1000, http.signal);
    const body = form({ grant_type: 'device_code', code: code.deviceCode, client_id: client.clientId, client_secret: client.clientSecret });
    try {
      return await tokenRequest(client, body, 'waiting for the login to be confirmed', http);
    } catch (error) {
      const name = error instanceof YandexApiError ? error.error : null;
      if (name === 'authorization_pending' && Date.now() < deadline) continue;
      if (name === 'slow_down') {
        interval += 5;
        continue;
      }
      if (name === 'authorization_pending' || name === 'expired_token' || name === 'invalid_grant') throw new LoginNeededError('the login code expired before it was entered; run `mnemo auth yandex` again');
      if (name === 'access_denied') throw new LoginNeededError('the login was declined on the Yandex page; run `mnemo auth yandex` again to retry');
      throw error;
    }
  }
}

/** Trades the refresh token for a new pair; `invalid_grant` becomes LoginNeededError. */
export async function refreshTokens(client: OAuthClient, refreshToken: string, http: HttpOptions = {}): Promise<TokenAnswer> {
  const body = form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.clientId, client_secret: client.clientSecret });
  try {
    return await tokenRequest(client, body, 'refreshing the Yandex.Disk access token', http);
  } catch (error) {
    if (error instanceof YandexApiError && (error.error === 'invalid_grant' || error.error === 'invalid_client' || error.error === 'unauthorized_client')) {
      throw new LoginNeededError(`Yandex refused the saved refresh token (${error.error}); log in again with \`mnemo auth yandex\``);
    }
    throw error;
  }
}

async function tokenRequest(client: OAuthClient, body: string, what: string, http: HttpOptions): Promise<TokenAnswer> {
  const secrets = () => [...(http.secrets?.() ?? []), ...(client.clientSecret ? [client.clientSecret] : []), ...[...new URLSearchParams(body).values()].filter((value) => value.length >= 20)];
  const response = await requestWithRetry(`${client.oauthUrl}/token`, { method: 'POST', body, headers: FORM }, what, { ...http, secrets });
  const text = await response.text();
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(redact(`${what}: the OAuth server answered something that is not JSON`, secrets()));
  }
  if (typeof answer.access_token !== 'string' || typeof answer.refresh_token !== 'string') throw apiError(response.status, text, what, secrets());
  return { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresIn: Number(answer.expires_in ?? 31_536_000) };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function form(fields: Record<string, string | null>): string {
  return new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== null)).toString();
}
