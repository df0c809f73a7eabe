import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

const page = readFileSync(join(__dirname, 'dashboard.html'), 'utf8');
// chart.js exports only its module entry points; the UMD build sits beside the CommonJS one.
const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');

/**
 * GET /dashboard: a page for people. It asks for a read token (kept in the tab's sessionStorage, or
 * passed once as `#token=…`, which never reaches the server) and draws the read models with Chart.js.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  page(): string {
    return page;
  }

  @Get('chart.umd.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=86400')
  chart(): string {
    return chartJs;
  }
}
