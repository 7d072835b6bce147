import { render } from 'preact'
import { App } from './app.js'
import './app.css'
import { pickStrings } from './i18n.js'

// The page's language follows the browser's: Chinese for zh-*, English otherwise.
const t = pickStrings(navigator.languages?.length ? navigator.languages : [navigator.language])
document.documentElement.lang = t.lang
document.title = t.appTitle
const root = document.getElementById('app')
if (root) render(<App t={t} />, root)
