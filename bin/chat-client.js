#!/usr/bin/env node
import { main } from '../dist/client/cli.js';

main(process.argv.slice(2));
