// The workbench web app: one element per file, the shell is <mnemo-app>.
import './mnemo-app.ts';
