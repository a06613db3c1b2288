import { render } from 'preact';
import '../shared/styles.css';
import './console.css';
import { loadPageConfig } from '../shared/config';
import { Console } from './Console';

const root = document.getElementById('root')!;
loadPageConfig().then(
  (config) => {
    // The "Loading" placeholder goes: Preact renders beside what is already there.
    root.replaceChildren();
    render(<Console config={config} />, root);
  },
  (error: Error) => {
    root.textContent = `The console could not start: ${error.message}. Reload the page to try again.`;
  },
);
