// The replay page's entry. Loaded for the browser tests (`?test`), the page also exposes `window.sketchfaceReplay`.
import { startReplay } from './replay.js';

startReplay({ testHooks: new URLSearchParams(location.search).has('test') });
