/**
 * The dashboard page: polls the API's JSON endpoints (same origin) and redraws the panels in
 * place. Traffic comes from the process's own metrics and keeps updating when the store is down;
 * the store-backed panels then keep their last data under a banner that says so.
 */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type {
  ExperimentView,
  GarchView,
  ModelsView,
  TrafficView,
} from "../../src/dashboard-api/schemas.js";
import { getJson, type Result } from "./api.js";
import { experimentPanel } from "./experiment-panel.js";
import { clock } from "./format.js";
import { garchPanel, modelsPanel } from "./models-panel.js";
import { trafficPanel } from "./traffic-panel.js";

const API = "/dashboard/api";
const EVERY_MS = { traffic: 2000, experiment: 4000, models: 15_000 } as const;

const drawTraffic = trafficPanel(document);
const drawExperiment = experimentPanel(document);
const drawModels = modelsPanel(document);
const garch = garchPanel(document);
const banner = document.getElementById("banner")!;
const status = document.getElementById("status")!;
const pause = document.getElementById("pause")!;

let paused = false;
/** Failures by source; the banner shows while any is set. */
const failures = new Map<string, string>();
const lastOk = new Map<string, number>();

function showBanner(): void {
  const api = failures.get("traffic");
  const store = failures.get("experiment") ?? failures.get("models");
  if (api) {
    banner.textContent = `The API is not answering (${api}). Showing the last data received; retrying.`;
  } else if (store) {
    const since = lastOk.get("experiment");
    banner.textContent =
      `The store is unreachable: ${store}. Live traffic keeps updating; the experiment and model ` +
      `panels show the data from ${since ? clock(since) : "before the outage (none yet)"}. Retrying.`;
  }
  banner.hidden = !(api || store);
}

function record<T>(source: string, result: Result<T>, draw: (data: T) => void): void {
  if (result.ok) {
    failures.delete(source);
    lastOk.set(source, Date.now());
    draw(result.data);
  } else {
    failures.set(
      source,
      result.status ? `HTTP ${result.status}: ${result.message}` : result.message,
    );
  }
  showBanner();
  status.textContent = `Updated ${clock(Date.now())}${paused ? " · paused" : ""}`;
}

async function loadGarch(): Promise<void> {
  if (garch.select.value) {
    garch.draw(await getJson<GarchView>(`${API}/garch/${encodeURIComponent(garch.select.value)}`));
  }
}

const sources: Record<keyof typeof EVERY_MS, () => Promise<void>> = {
  traffic: async () => record("traffic", await getJson<TrafficView>(`${API}/traffic`), drawTraffic),
  experiment: async () =>
    record("experiment", await getJson<ExperimentView>(`${API}/experiment`), drawExperiment),
  models: async () => {
    // Redrawn when another model is selected or the list changed (a new version to show).
    let listed = false;
    record("models", await getJson<ModelsView>(`${API}/models`), (v) => {
      drawModels(v);
      listed = garch.setModels(v);
    });
    if (listed) await loadGarch();
  },
};

for (const [name, every] of Object.entries(EVERY_MS) as [keyof typeof EVERY_MS, number][]) {
  const tick = async () => {
    if (!paused) await sources[name]();
    setTimeout(tick, every);
  };
  void tick();
}

garch.select.addEventListener("change", () => void loadGarch());
pause.addEventListener("click", () => {
  paused = !paused;
  pause.setAttribute("aria-pressed", String(paused));
  pause.textContent = paused ? "Resume updates" : "Pause updates";
});
