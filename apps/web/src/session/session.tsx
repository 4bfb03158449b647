import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, expectOk, onUnauthorized, setCredentials } from '../api/client';
import type { Me, Purpose } from '../api/types';
import { expiryOf } from './jwt';

/** Renew when this share of the token's life is left. */
const RENEW_AT_REMAINING = 0.2;

export interface Session {
  me: Me;
  token: string;
  purpose?: Purpose;
  justification?: string;
}

interface SessionApi {
  session: Session | null;
  /** Why the last session ended, shown on the sign-in screen (expired, signed out elsewhere). */
  notice: string | null;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  choosePurpose: (purpose: Purpose, justification?: string) => void;
  can: (permission: string) => boolean;
}

const SessionContext = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user: token in memory only, renewed before it expires, dropped on a 401. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSessionState] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const renewal = useRef<number | undefined>(undefined);
  const current = useRef<Session | null>(null);

  // The API client's credentials change with the session at once, before any screen renders and
  // fetches with them (an effect would run after the children's first requests).
  const setSession = useCallback((next: Session | null) => {
    current.current = next;
    setCredentials(next ? { token: next.token, purpose: next.purpose, justification: next.justification } : {});
    setSessionState(next);
  }, []);

  const queryClient = useQueryClient();
  const end = useCallback(
    (why: string | null) => {
      window.clearTimeout(renewal.current);
      setSession(null);
      // Nothing read in this session stays in memory for the next user of the screen.
      queryClient.clear();
      setNotice(why);
    },
    [setSession, queryClient],
  );

  useEffect(() => onUnauthorized(() => end('Your session has ended. Sign in again to continue.')), [end]);

  // Renew the token before it expires; the sign-in time stays, so a session still ends after the server's maximum.
  useEffect(() => {
    if (!session) return;
    const delay = Math.max(5_000, (expiryOf(session.token) - Date.now()) * (1 - RENEW_AT_REMAINING));
    renewal.current = window.setTimeout(() => {
      expectOk(api.POST('/api/auth/token/renew'))
        .then((answer) => current.current && setSession({ ...current.current, token: answer.accessToken }))
        .catch(() => end('Your session has ended. Sign in again to continue.'));
    }, delay);
    return () => window.clearTimeout(renewal.current);
  }, [session, end, setSession]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const answer = await expectOk(api.POST('/api/auth/token', { body: { username, password } }));
      setCredentials({ token: answer.accessToken });
      const me = await expectOk(api.GET('/api/auth/me'));
      setNotice(null);
      // A single purpose needs no choice.
      setSession({ me, token: answer.accessToken, ...(me.purposes.length === 1 && me.purposes[0] !== 'emergency' ? { purpose: me.purposes[0] } : {}) });
    },
    [setSession],
  );

  const signOut = useCallback(async () => {
    try {
      await api.POST('/api/auth/sign-out', {});
    } finally {
      end('You have signed out.');
    }
  }, [end]);

  const choosePurpose = useCallback(
    (purpose: Purpose, justification?: string) => {
      if (current.current) setSession({ ...current.current, purpose, justification: purpose === 'emergency' ? justification : undefined });
    },
    [setSession],
  );

  const value = useMemo<SessionApi>(
    () => ({ session, notice, signIn, signOut, choosePurpose, can: (permission) => session?.me.permissions.includes(permission) ?? false }),
    [session, notice, signIn, signOut, choosePurpose],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
