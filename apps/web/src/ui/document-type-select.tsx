import { DOCUMENT_TYPES } from './labels';

/** The document types as a labelled select; `empty` names the blank choice ("Any" for a filter, "Choose…" for a required field). */
export function DocumentTypeSelect(props: { id: string; value: string; onChange: (value: string) => void; empty: string; required?: boolean }) {
  return (
    <>
      <label htmlFor={props.id}>Document type</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)} required={props.required}>
        <option value="">{props.empty}</option>
        {Object.entries(DOCUMENT_TYPES).map(([code, label]) => (
          <option key={code} value={code}>
            {label}
          </option>
        ))}
      </select>
    </>
  );
}
