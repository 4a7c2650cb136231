// The Designers Italia model's visual basis, read from the page as the browser rendered it:
// Bootstrap Italia 2.x (C.SI.1.2) and Titillium Web for headings and text (C.SI.1.1).
import { fail, onAudit, stats } from './lib.mjs';

/** What the model requires of every comune page; a miss is counted as a failure. */
export async function checkModel(page, label) {
  const found = await page.evaluate(async () => {
    await document.fonts.ready;
    const family = (el) => (el ? getComputedStyle(el).fontFamily.split(',')[0].replace(/["']/g, '').trim() : null);
    return {
      version: getComputedStyle(document.documentElement).getPropertyValue('--bootstrap-italia-version').replace(/["'\s]/g, ''),
      heading: family(document.querySelector('main h1')),
      text: family(document.querySelector('main p')),
      loaded: [...document.fonts].some((f) => f.family.replace(/["']/g, '') === 'Titillium Web' && f.status === 'loaded'),
    };
  });
  const major = Number(found.version.split('.')[0]);
  if (!(major >= 2)) fail(`${label}: Bootstrap Italia version "${found.version}", the model wants 2.0 or later`);
  // The model sets headings in Titillium Web, and text in it or in the kit's Lora (long text)
  // and Roboto Mono (codes).
  if (found.heading !== null && found.heading !== 'Titillium Web') fail(`${label}: the heading is set in ${found.heading}, not Titillium Web`);
  if (found.text !== null && !['Titillium Web', 'Lora', 'Roboto Mono'].includes(found.text)) fail(`${label}: the text is set in ${found.text}, not in the model's fonts`);
  if (!found.loaded) fail(`${label}: Titillium Web was not loaded`);
}

// Every comune page audited (in the page checks and the journeys) is held to the model too.
const checked = new Set();
onAudit.push(async (page, label) => {
  const key = `${new URL(page.url()).pathname} ${page.viewportSize()?.width}`;
  if (checked.has(key)) return;
  checked.add(key);
  stats.model++;
  await checkModel(page, label);
});
