// Small shared pieces: page frame, form fields, notices, tabs, async loading.
import { errorText, t } from './i18n.js';
import { html, useCallback, useEffect, useRef, useState } from './preact.js';
import { routeStore } from './router.js';

let uid = 0;
export function useId(prefix = 'f') {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++uid}`;
  return ref.current;
}

// Load something; reload() to refresh. Stale answers (deps changed meanwhile) are dropped.
export function useAsync(load, deps) {
  const [state, setState] = useState({ loading: true, data: undefined, error: null });
  const generation = useRef(0);
  const run = useCallback(
    (quiet = false) => {
      const mine = ++generation.current;
      const controller = new AbortController();
      if (!quiet) setState((s) => ({ ...s, loading: true, error: null }));
      Promise.resolve()
        .then(() => load(controller.signal))
        .then(
          (data) => mine === generation.current && setState({ loading: false, data, error: null }),
          (error) => {
            if (error?.name === 'AbortError' || mine !== generation.current) return;
            setState((s) => ({ ...s, loading: false, error }));
          },
        );
      return controller;
    },
    deps, // the caller lists what the loader depends on
  );
  useEffect(() => {
    const controller = run();
    return () => controller.abort();
  }, [run]);
  return { ...state, reload: run };
}

// The frame of every page: sets the document title and gives the heading focus
// after a navigation, so screen reader and keyboard users land on the new page.
export function Page({ title, subtitle, actions, children, wide = false }) {
  const heading = useRef(null);
  useEffect(() => {
    document.title = title ? `${title} · forumlive` : 'forumlive';
  }, [title]);
  useEffect(() => {
    if (routeStore.get().navigations > 0 && heading.current) heading.current.focus({ preventScroll: true });
  }, []);
  return html`
    <div class=${`page${wide ? ' page-wide' : ''}`}>
      <header class="page-head">
        <div>
          <h1 ref=${heading} tabindex="-1">${title}</h1>
          ${subtitle ? html`<p class="page-sub">${subtitle}</p>` : null}
        </div>
        ${actions ? html`<div class="page-actions">${actions}</div>` : null}
      </header>
      ${children}
    </div>
  `;
}

export function Field({ label, error, hint, children, id, optional = false }) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return html`
    <div class=${`field${error ? ' field-invalid' : ''}`}>
      <label for=${id}>${label}${optional ? html` <span class="optional">${t('form.optional')}</span>` : null}</label>
      ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
      ${children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : undefined })}
      ${error ? html`<p class="field-error" id=${errorId}>${error}</p>` : null}
    </div>
  `;
}

// Validation error types from the server, in the reader's language.
export function fieldErrorText(type) {
  const key = `form.error.${type}`;
  const known = [
    'missing',
    'string_too_short',
    'string_too_long',
    'value_error',
    'literal_error',
    'string_pattern_mismatch',
    'greater_than_equal',
    'less_than_equal',
    'int_parsing',
    'datetime_from_date_parsing',
  ];
  return known.includes(type) ? t(key) : t('form.error.invalid');
}

export function Notice({ kind = 'info', children, live = true }) {
  const role = kind === 'error' ? 'alert' : live ? 'status' : undefined;
  return html`<div class=${`notice notice-${kind}`} role=${role}>${children}</div>`;
}

export function ErrorNotice({ error }) {
  if (!error) return null;
  return html`<${Notice} kind="error">${errorText(error)}<//>`;
}

export function Loading({ label }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label || t('common.loading')}</p>`;
}

// ARIA tabs with a roving tab stop; arrow keys follow the reading direction.
export function Tabs({ label, tabs, selected, onSelect, idPrefix = 'tab' }) {
  const list = useRef(null);
  const onKeyDown = (event) => {
    const keys = ['ArrowLeft', 'ArrowRight', 'Home', 'End'];
    if (!keys.includes(event.key)) return;
    event.preventDefault();
    const index = tabs.findIndex((tab) => tab.id === selected);
    const rtl = document.documentElement.dir === 'rtl';
    let next = index;
    if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tabs.length - 1;
    else {
      const forward = (event.key === 'ArrowRight') !== rtl;
      next = (index + (forward ? 1 : -1) + tabs.length) % tabs.length;
    }
    onSelect(tabs[next].id);
    requestAnimationFrame(() => list.current?.querySelector(`#${idPrefix}-${tabs[next].id}`)?.focus());
  };
  useEffect(() => {
    list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [selected]);
  return html`
    <div class="tabs" role="tablist" aria-label=${label} ref=${list} onKeyDown=${onKeyDown}>
      ${tabs.map(
        (tab) => html`
          <button
            type="button"
            role="tab"
            id=${`${idPrefix}-${tab.id}`}
            aria-selected=${tab.id === selected ? 'true' : 'false'}
            aria-controls=${`${idPrefix}-panel`}
            tabindex=${tab.id === selected ? '0' : '-1'}
            class=${`tab${tab.group ? ` tab-${tab.group}` : ''}`}
            onClick=${() => onSelect(tab.id)}
          >
            ${tab.label}${tab.sub ? html`<span class="tab-sub">${tab.sub}</span>` : null}
          </button>
        `,
      )}
    </div>
  `;
}

export function CopyField({ label, value, id }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      document.getElementById(id)?.select();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2500);
  };
  return html`
    <div class="copy-field">
      <label for=${id}>${label}</label>
      <div class="copy-row">
        <input id=${id} type="text" readonly value=${value} onFocus=${(e) => e.target.select()} />
        <button type="button" class="button" onClick=${copy}>${t('common.copy')}</button>
      </div>
      <p class="sr-status" role="status">${copied ? t('common.copied') : ''}</p>
    </div>
  `;
}
