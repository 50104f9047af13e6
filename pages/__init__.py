"""The Streamlit side of the console: page scripts in ``views/``, and in ``ui/`` what several
pages draw the same way plus the one list of pages (``ui/registry.py``). ``app.py`` is the only
router.

No page script sits directly in this folder: Streamlit's pages-folder mode lists only the
scripts here, so it finds none and ``st.navigation`` in app.py decides every page. The folder's
mere presence still makes the very first run of a freshly started server go through that mode
once: a first request straight to a deep link (``/ops``) then shows Streamlit's "Page not found"
notice over the right page, until the server's first ``st.navigation`` call ends the mode for
the process (Streamlit 1.67 decides this from the folder's existence alone, and offers no
setting to turn it off). Every later visit, and every visit to ``/``, is clean.
"""
