// The one place the view library is imported from: Preact + hooks + htm, vendored.
export {
  Component,
  createContext,
  h,
  html,
  render,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from '../../vendor/preact-htm.mjs';
