// Mounts the dashboard.
import { mount } from 'svelte';
import App from './App.svelte';
import { feed } from './lib/feed.svelte.ts';
import './app.css';

// The feed's counters (resyncs, reconnects) for the end-to-end test and for debugging from the console.
declare global { interface Window { __qtsFeed?: typeof feed } }
window.__qtsFeed = feed;

mount(App, { target: document.getElementById('app')! });
