"""The Streamlit side of the console: page scripts in ``views/``, and in ``ui/`` what several
pages draw the same way plus the one list of pages (``ui/registry.py``). ``app.py`` is the only
router.

The scripts directly in this folder (``ops.py``, ``my-sessions.py``, ...) are first-run entries,
one per address in the registry, named after it; each only runs app.py. Why: a ``pages/`` folder
beside app.py makes the first script run of a freshly started server go through Streamlit's
pages-folder mode (Streamlit 1.67 decides this from the folder's existence alone and offers no
setting to turn it off). That run builds a menu from app.py and the scripts here, looks the
requested address up in it, and only then runs app.py, whose ``st.navigation`` ends the mode for
the process. Without a script named after the address, a first request straight to a deep link
(``/ops``) got Streamlit's "Page not found" notice over the right page. With one, Streamlit runs
the entry, the entry runs app.py, and app.py's sign-in gate and ``st.navigation`` decide the page
and replace the menu in that same run, exactly as on every later run (which never sees these
files). Every page's code stays in ``views/``; tests/test_pages.py checks that the entries are
exactly the registry's addresses.

One difference remains in that first run: Streamlit names a widget after the page it is drawn on,
so the gate's widgets carry the entry's name then and app.py's afterwards. The gate hands the
"View as" choice over by its key (``ui/gate.py``), so a choice made on that first screen holds.
Streamlit's AppTest starts every run in the pages-folder mode, so the page tests go through the
entries on every run.
"""
