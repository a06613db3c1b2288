import { render } from 'preact';
import '../shared/styles.css';
import { loadPageConfig } from '../shared/config';
import { App } from './App';

const root = document.getElementById('root')!;
loadPageConfig().then(
  (config) => {
    // The "Loading" placeholder goes: Preact renders beside what is already there.
    root.replaceChildren();
    render(<App config={config} />, root);
  },
  (error: Error) => {
    root.textContent = `The app could not start: ${error.message}. Reload the page to try again.`;
  },
);
