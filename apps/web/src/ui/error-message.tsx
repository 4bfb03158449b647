import { ApiError } from '../api/problem';

/** An error in words (the problem's detail and its field errors), announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : undefined;
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {problem?.errors && problem.errors.length > 1 && (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              {e.field} {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
