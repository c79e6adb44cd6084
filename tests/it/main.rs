//! The integration tests: one binary, one module per area. Each start the real server on
//! 127.0.0.1:0 and drive it over HTTP (and the CLI, Node/Python services, Chromium).
//! One binary rather than one per file: every test binary is another link of the whole
//! dependency tree, the slowest step of a test build.

mod common;

mod account;
mod account_notices;
mod activation;
mod at_rest;
mod attacks;
mod attacks_edges;
mod attacks_pages;
mod attacks_signin;
mod breached;
mod cli;
mod e2e;
mod e2e_activation;
mod e2e_modes;
mod e2e_pages;
mod e2e_public;
mod e2e_signin;
mod files;
mod finished_pages;
mod fuzz_input;
mod grant_lifetimes;
mod helpdesk_console;
mod helpdesk_hold;
mod helpdesk_scope;
mod interop;
mod invariants;
mod janitor_audit;
mod keep_request;
mod lang_switch;
mod layout;
mod lifecycle;
mod lockout;
mod logout_hint;
mod mfa_enrolment;
mod migrations;
mod modes;
mod new_browser;
mod offpath;
mod oidc_code_flow;
mod oidc_failures;
mod ops;
mod pages;
mod public_cli;
mod public_clients;
mod public_staff_scope;
mod replicas;
mod reset_flow;
mod services;
mod signin;
mod stepup;
mod token_outage;
mod ways_out;
