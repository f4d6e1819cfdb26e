/** The studio page: tabs for the views, the current run, the training worker's backend. */
import { Studio, type View } from './studio.js';
import { densityView } from './views/density.js';
import { ganLabView } from './views/ganLab.js';
import { latentView } from './views/latent.js';
import { runsView } from './views/runs.js';
import { trainView } from './views/train.js';

const views: View[] = [trainView, ganLabView, latentView, densityView, runsView];

const studio = new Studio();
const tabs = document.getElementById('tabs')!;
const container = document.getElementById('views')!;

function show(id: string): void {
  for (const view of views) {
    const active = view.id === id;
    document.getElementById(`view-${view.id}`)!.classList.toggle('active', active);
    document.getElementById(`tab-${view.id}`)!.setAttribute('aria-selected', String(active));
    if (active) view.shown?.();
  }
  history.replaceState(null, '', `#${id}`);
}

// The views build models (the registry lists capabilities by building one), so the page's engine first.
try {
  await studio.engine();
} catch (e) {
  document.body.dataset.backend = 'unavailable';
  studio.status(`${(e as Error).message}; open the studio without ?backend= to use the best one available`, true);
  throw e;
}
for (const view of views) {
  const section = document.createElement('section');
  section.id = `view-${view.id}`;
  section.className = 'view';
  container.append(section);
  const tab = document.createElement('button');
  tab.id = `tab-${view.id}`;
  tab.textContent = view.title;
  tab.addEventListener('click', () => show(view.id));
  tabs.append(tab);
  view.mount(section, studio);
}
show(views.some((v) => `#${v.id}` === location.hash) ? location.hash.slice(1) : views[0].id);

window.addEventListener('unhandledrejection', (e) => studio.status(String(e.reason?.message ?? e.reason), true));
// For end-to-end tests and the console.
(window as unknown as { studio: Studio }).studio = studio;
