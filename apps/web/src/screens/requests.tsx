import { useSession } from '../session/session';
import { ScreenTitle } from '../ui/screen-title';
import { AmendmentRequests } from './amendment-requests';
import { ReleaseRequests } from './release-requests';

/** HIM's queues: release-of-information requests (30 days) and patients' amendment requests (60 days). */
export function RequestsScreen() {
  const { can } = useSession();
  return (
    <section aria-labelledby="requests-title">
      <ScreenTitle id="requests-title">Requests</ScreenTitle>
      {can('release-requests.list') && <ReleaseRequests />}
      {can('amendment-requests.list') && <AmendmentRequests />}
    </section>
  );
}
