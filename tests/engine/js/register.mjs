// `node --import ./register.mjs …`: the web client's modules load under node (see loader.mjs).
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);
