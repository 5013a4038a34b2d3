// The studio page's entry. Loaded for the browser tests (`?test`), the page also exposes its replica and guidance
// state as `window.sketchface` and `window.sketchfaceGuidance`.
import { startStudio } from './app.js';

startStudio({ testHooks: new URLSearchParams(location.search).has('test') });
