import { applySettingsChange, DEFAULT_COHORT_SETTINGS, effectiveSettings, parseSettingsChange } from './settings';

describe('cohort settings', () => {
  it('defaults: 14-day silent window, 30-day lookback, 80% of a limit, 7 days at the 90th percentile of at least 5 peers', () => {
    expect(DEFAULT_COHORT_SETTINGS).toEqual({
      silentWindowDays: 14,
      lookbackDays: 30,
      limitThresholdPercent: 80,
      highUsageWindowDays: 7,
      highUsagePercentile: 90,
      highUsageMinPeers: 5,
      highUsageMinActiveHours: 1,
    });
    expect(effectiveSettings({})).toEqual(DEFAULT_COHORT_SETTINGS);
  });

  it('accepts integers within range and null (back to the default); names every bad field', () => {
    expect(parseSettingsChange({ silentWindowDays: 21, lookbackDays: null })).toEqual({ changes: { silentWindowDays: 21, lookbackDays: null }, problems: [] });
    const { problems } = parseSettingsChange({ silentWindowDays: 0, limitThresholdPercent: 80.5, colour: 'red' });
    expect(problems).toEqual([
      'colour: is not a cohort setting (known: highUsageMinActiveHours, highUsageMinPeers, highUsagePercentile, highUsageWindowDays, limitThresholdPercent, lookbackDays, silentWindowDays)',
      'limitThresholdPercent: must be an integer from 50 to 100 (percent) or null for the default, got 80.5',
      'silentWindowDays: must be an integer from 1 to 365 (days) or null for the default, got 0',
    ]);
    expect(parseSettingsChange({}).problems).toEqual([expect.stringMatching(/^body: sets no setting/)]);
    expect(parseSettingsChange([]).problems).toEqual(['body: must be an object']);
  });

  it('given changes in any order, then per setting the latest (by event time, then id) wins; null resets', () => {
    const a = { at: 1, id: 'a' };
    const b = { at: 2, id: 'b' };
    const c = { at: 3, id: 'c' };
    const changes = [
      [{ silentWindowDays: 21 }, a],
      [{ silentWindowDays: 30, lookbackDays: 10 }, b],
      [{ silentWindowDays: null }, c],
    ] as const;
    const inOrder = changes.reduce((f, [ch, s]) => applySettingsChange(f, ch, s), {});
    const reversed = [...changes].reverse().reduce((f, [ch, s]) => applySettingsChange(f, ch, s), {});
    const twice = [...changes, ...changes].reduce((f, [ch, s]) => applySettingsChange(f, ch, s), {});
    expect(reversed).toEqual(inOrder);
    expect(twice).toEqual(inOrder);
    expect(effectiveSettings(inOrder)).toMatchObject({ silentWindowDays: 14, lookbackDays: 10 });
  });
});
