// Chart.js with only the parts the trend charts use, registered once. Loaded on demand (a
// dynamic import in trends.ts), so the app's start and the login screen do not wait for it.

import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import annotationPlugin from "chartjs-plugin-annotation";

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, annotationPlugin);

export { Chart };
