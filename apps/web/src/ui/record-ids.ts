/** Record ids typed or pasted: separated by spaces, commas, semicolons or lines. */
export const idsIn = (text: string): string[] => [...new Set(text.split(/[\s,;]+/).filter((id) => id !== ''))];
