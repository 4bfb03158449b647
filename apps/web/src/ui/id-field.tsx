import type { Ref } from 'react';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a typed or pasted id (trimmed) is a UUID, as every id of the API is. */
export const isUuid = (value: string): boolean => UUID.test(value.trim());

/** A labelled field for one id, its error (if any) announced and tied to it. */
export function IdField({
  id,
  label,
  value,
  onChange,
  error,
  ref,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: string | null;
  ref?: Ref<HTMLInputElement>;
}) {
  const errorId = `${id}-error`;
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={ref}
        className="wide"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        autoComplete="off"
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
      />
      {error && (
        <p id={errorId} className="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
