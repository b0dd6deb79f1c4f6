// What the App provides to every view (provide/inject keys).
export const CONFIG = Symbol("config");
export const API = Symbol("api");
export const APPLICATIONS = Symbol("applications");
export const ROUTER = Symbol("router");
export const LAYOUT = Symbol("layout");
export const SESSION = Symbol("session");
