// `node --import` this (npm start, npm run worker) or import it first: MINIDJ_HOME's `.env`, else the project's.
import { loadHomeEnv } from './minidj-home.ts';

loadHomeEnv();
