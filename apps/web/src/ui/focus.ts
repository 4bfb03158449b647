import { useEffect, useRef } from 'react';

/**
 * A field that takes the focus when it appears: a form opened from a row's button (deny, review…)
 * shows below the table, and keyboard and screen-reader users land in it rather than at the button.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const field = useRef<T>(null);
  useEffect(() => {
    field.current?.focus();
  }, []);
  return field;
}
