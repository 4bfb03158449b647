import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/problem';
import { DisposalScreen } from './screens/disposal';
import { AuditScreen } from './screens/audit';
import { CoverSheetsScreen } from './screens/cover-sheets';
import { HoldsScreen } from './screens/holds';
import { RecordScreen } from './screens/record';
import { RequestsScreen } from './screens/requests';
import { ReviewScreen } from './screens/review';
import { SearchScreen } from './screens/search';
import { SignInScreen } from './screens/sign-in';
import { StackScreen } from './screens/stack';
import { UploadScreen } from './screens/upload';
import { UsersScreen } from './screens/users';
import { SessionProvider, useSession } from './session/session';
import { Layout, NeedsPurpose, SCREENS } from './ui/layout';
import { ScreenTitle } from './ui/screen-title';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors are answers, not glitches: retrying them would repeat an audited read.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <BrowserRouter>
          <Screens />
        </BrowserRouter>
      </SessionProvider>
    </QueryClientProvider>
  );
}

/** Signed out, any URL shows the sign-in form and, once signed in, the screen that was asked for. */
function Screens() {
  const { session, can } = useSession();
  if (!session) return <SignInScreen />;
  const home = SCREENS.find((s) => can(s.permission))?.path ?? '/search';
  return (
    <Layout>
      <Routes>
        <Route path="/" element={<Navigate to={home} replace />} />
        <Route path="/upload" element={<UploadScreen />} />
        <Route path="/upload/cover-sheets" element={<CoverSheetsScreen />} />
        <Route path="/upload/stacks" element={<StackScreen />} />
        <Route path="/upload/stacks/:id" element={<StackScreen />} />
        <Route path="/review" element={<ReviewScreen />} />
        <Route
          path="/search"
          element={
            <NeedsPurpose>
              <SearchScreen />
            </NeedsPurpose>
          }
        />
        <Route
          path="/records/:id"
          element={
            <NeedsPurpose>
              <RecordScreen />
            </NeedsPurpose>
          }
        />
        <Route path="/disposal" element={<DisposalScreen />} />
        <Route
          path="/requests"
          element={
            <NeedsPurpose>
              <RequestsScreen />
            </NeedsPurpose>
          }
        />
        <Route
          path="/holds"
          element={
            <NeedsPurpose>
              <HoldsScreen />
            </NeedsPurpose>
          }
        />
        <Route
          path="/audit"
          element={
            <NeedsPurpose>
              <AuditScreen />
            </NeedsPurpose>
          }
        />
        <Route path="/users" element={<UsersScreen />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Layout>
  );
}

function NotFound() {
  return (
    <section>
      <ScreenTitle>Page not found</ScreenTitle>
      <p>There is no screen at this address.</p>
    </section>
  );
}
