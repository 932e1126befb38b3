"""The smallest Streamlit page like the Portfolio's first screen: a title, a metric and one small Plotly chart.

``make bench`` opens it in the same Chromium as the dashboard, right after it, to measure what any Streamlit
page with a Plotly chart costs a first visit on this machine (loading and starting Streamlit's and Plotly's
scripts), whatever the app behind it does: the floor under the dashboard's cold-start figure.
"""

import plotly.graph_objects as go
import streamlit as st

st.title("Floor")
st.metric("Ready", "25%")
st.plotly_chart(go.Figure({"data": [{"type": "bar", "x": [1, 2, 3], "y": [3, 1, 2]}]}), theme=None)
