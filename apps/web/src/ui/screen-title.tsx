import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A screen's h1. It takes the focus when it appears, so that after a navigation keyboard and
 * screen-reader users start at the new screen's title (also when the title waits for data).
 */
export function ScreenTitle({ id, children }: { id?: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 id={id} ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}
