// @vitest-environment happy-dom
// The generated parameter form: defaults and ranges from the param space, range errors as you type, the API's field errors.
import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import { ParamForm, specsOf } from '../lib/params.svelte.ts';
import ParamFields from './ParamFields.svelte';

describe('ParamFields', () => {
  it('renders each parameter with its default and range, flags an out-of-range value, and shows a field error from the API', () => {
    const form = new ParamForm(specsOf('sma-cross'));
    const target = document.createElement('div');
    const app = mount(ParamFields, { target, props: { form, idPrefix: 't' } });
    flushSync();

    const fast = target.querySelector<HTMLInputElement>('#t-fast')!;
    expect(fast.value).toBe('10');
    expect([fast.min, fast.max, fast.step]).toEqual(['2', '200', '1']);
    expect(target.querySelector<HTMLInputElement>('#t-slow')!.value).toBe('30');

    fast.value = '500';
    fast.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(target.querySelector('.error[data-field=fast]')?.textContent).toBe('must be between 2 and 200');
    expect(fast.getAttribute('aria-invalid')).toBe('true');

    fast.value = '12';
    fast.dispatchEvent(new Event('input', { bubbles: true }));
    form.setServerErrors({ slow: 'must be greater than fast' });
    flushSync();
    expect(target.querySelector('.error[data-field=fast]')).toBeNull();
    expect(target.querySelector('.error[data-field=slow]')?.textContent).toBe('must be greater than fast');
    expect(form.params()).toEqual({ fast: 12, slow: 30 });
    unmount(app);
  });
});
