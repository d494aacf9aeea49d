/**
 * The colours of every picture, in one place (conv_arithmetic's palette: blue inputs, cyan-green
 * outputs, a dark kernel shadow, here lightened so that values stay readable).
 */
export const THEME = {
  background: '#ffffff',
  text: '#1f2933',
  muted: '#6b7785',
  gridLine: '#7b8794',
  faintLine: '#b8c2cc',
  input: '#cfe2f3',
  inserted: '#f1f3f5',
  padding: '#ffffff',
  outputPadding: '#fde9c9',
  kernel: '#e4d7f5',
  indices: '#eceff1',
  output: '#ffffff',
  done: '#d5ecd4',
  window: '#b9c9de',
  read: '#8fb3e8',
  write: '#f6b26b',
  note: '#5b2c8f',
  highlight: '#e8590c',
} as const;
